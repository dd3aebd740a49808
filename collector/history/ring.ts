// Float bits go through this scratch pair so that samples need one typed array, not two.
const scratchF32 = new Float32Array(1);
const scratchI32 = new Int32Array(scratchF32.buffer);

/** About 1 MiB of samples per page of a size class. */
const PAGE_WORDS = 1 << 18;

/** Blocks of one size (samples per ring), carved out of large pages; freed blocks are reused. */
interface Pool {
  slots: number;
  /** Words per block: two per sample. */
  words: number;
  /** Blocks per page, as a shift and a mask. */
  shift: number;
  mask: number;
  pages: Int32Array[];
  free: number[];
  next: number;
}

/**
 * The raw samples of many series, each a ring (oldest overwritten first), held in a few large
 * typed arrays instead of an object and an array per series: at a million series, what the
 * garbage collector has to mark stays a few hundred arrays. Each sample is two 32-bit words:
 * the time in deciseconds from a shared origin, and the value as a 32-bit float (counters are
 * stored as rates, so float precision is plenty): 8 bytes a sample. A ring grows by doubling
 * up to `capacity` (each size a pool of blocks), so a short-lived series costs little.
 * Rings are numbered by the caller (0, 1, 2, …, reused after `release`).
 */
export class RingSlab {
  private readonly pools: Pool[] = [];
  /** Per ring: its size class (-1: none), block in that class, head and count. */
  private cls = new Int8Array(0);
  private block = new Int32Array(0);
  private head = new Int32Array(0);
  private count = new Int32Array(0);

  constructor(
    private readonly origin: number,
    readonly capacity: number,
  ) {
    let slots = Math.min(capacity, 4);
    for (;;) {
      const words = 2 * slots;
      const shift = Math.max(0, Math.floor(Math.log2(PAGE_WORDS / words)));
      this.pools.push({ slots, words, shift, mask: (1 << shift) - 1, pages: [], free: [], next: 0 });
      if (slots >= capacity) break;
      slots = Math.min(capacity, slots * 2);
    }
  }

  /** Starts ring `i`, empty (with room for a few samples). */
  create(i: number): void {
    if (i >= this.cls.length) this.growColumns(i + 1);
    this.cls[i] = 0;
    this.block[i] = this.alloc(this.pools[0] as Pool);
    this.head[i] = 0;
    this.count[i] = 0;
  }

  /** Frees ring `i`'s samples. */
  release(i: number): void {
    const c = this.cls[i] as number;
    if (c < 0) return;
    (this.pools[c] as Pool).free.push(this.block[i] as number);
    this.cls[i] = -1;
    this.count[i] = 0;
  }

  size(i: number): number {
    return this.count[i] as number;
  }

  /** Bytes held by ring `i`'s samples. */
  bytes(i: number): number {
    const c = this.cls[i] as number;
    return c < 0 ? 0 : (this.pools[c] as Pool).words * 4;
  }

  push(i: number, time: number, value: number): void {
    let c = this.cls[i] as number;
    let pool = this.pools[c] as Pool;
    const n = this.count[i] as number;
    if (n === pool.slots && c < this.pools.length - 1) {
      this.grow(i, c);
      pool = this.pools[++c] as Pool;
    }
    const len = pool.slots;
    const b = this.block[i] as number;
    const page = pool.pages[b >>> pool.shift] as Int32Array;
    const at = (b & pool.mask) * pool.words + (((this.head[i] as number) + n) % len) * 2;
    page[at] = Math.round((time - this.origin) / 100);
    scratchF32[0] = value;
    page[at + 1] = scratchI32[0] as number;
    if (n < len) this.count[i] = n + 1;
    else this.head[i] = ((this.head[i] as number) + 1) % len;
  }

  /** Newest sample time of ring `i` (Unix ms), or undefined when empty. */
  lastTime(i: number): number | undefined {
    const n = this.count[i] as number;
    if (n === 0) return undefined;
    return this.timeAt(i, n - 1);
  }

  /** Calls `fn` for every sample of ring `i` with from <= time <= to, oldest first. */
  forEach(i: number, from: number, to: number, fn: (time: number, value: number) => void): void {
    const n = this.count[i] as number;
    if (n === 0) return;
    const pool = this.pools[this.cls[i] as number] as Pool;
    const b = this.block[i] as number;
    const page = pool.pages[b >>> pool.shift] as Int32Array;
    const base = (b & pool.mask) * pool.words;
    const head = this.head[i] as number;
    for (let k = 0; k < n; k++) {
      const at = base + ((head + k) % pool.slots) * 2;
      const t = this.origin + (page[at] as number) * 100;
      if (t < from) continue;
      if (t > to) break;
      scratchI32[0] = page[at + 1] as number;
      fn(t, scratchF32[0] as number);
    }
  }

  /** Drops samples of ring `i` older than `before`. */
  trim(i: number, before: number): void {
    let n = this.count[i] as number;
    if (n === 0) return;
    const pool = this.pools[this.cls[i] as number] as Pool;
    const b = this.block[i] as number;
    const page = pool.pages[b >>> pool.shift] as Int32Array;
    const base = (b & pool.mask) * pool.words;
    let head = this.head[i] as number;
    while (n > 0 && this.origin + (page[base + head * 2] as number) * 100 < before) {
      head = (head + 1) % pool.slots;
      n--;
    }
    this.head[i] = head;
    this.count[i] = n;
  }

  private timeAt(i: number, k: number): number {
    const pool = this.pools[this.cls[i] as number] as Pool;
    const b = this.block[i] as number;
    const page = pool.pages[b >>> pool.shift] as Int32Array;
    return this.origin + (page[(b & pool.mask) * pool.words + (((this.head[i] as number) + k) % pool.slots) * 2] as number) * 100;
  }

  /** Moves ring `i` from size class `c` to the next, oldest sample first. */
  private grow(i: number, c: number): void {
    const from = this.pools[c] as Pool;
    const to = this.pools[c + 1] as Pool;
    const ob = this.block[i] as number;
    const nb = this.alloc(to);
    const src = from.pages[ob >>> from.shift] as Int32Array;
    const dst = to.pages[nb >>> to.shift] as Int32Array;
    const sBase = (ob & from.mask) * from.words;
    const dBase = (nb & to.mask) * to.words;
    const head = this.head[i] as number;
    const n = this.count[i] as number;
    for (let k = 0; k < n; k++) {
      const at = sBase + ((head + k) % from.slots) * 2;
      dst[dBase + 2 * k] = src[at] as number;
      dst[dBase + 2 * k + 1] = src[at + 1] as number;
    }
    from.free.push(ob);
    this.cls[i] = c + 1;
    this.block[i] = nb;
    this.head[i] = 0;
  }

  private alloc(pool: Pool): number {
    const reused = pool.free.pop();
    if (reused !== undefined) return reused;
    const b = pool.next++;
    if (b >>> pool.shift >= pool.pages.length) pool.pages.push(new Int32Array((1 << pool.shift) * pool.words));
    return b;
  }

  private growColumns(min: number): void {
    const n = Math.max(min, 2 * this.cls.length, 1024);
    const cls = new Int8Array(n).fill(-1);
    cls.set(this.cls);
    this.cls = cls;
    this.block = grown(this.block, n);
    this.head = grown(this.head, n);
    this.count = grown(this.count, n);
  }
}

function grown(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

/** One ring on its own (a slab of one). */
export class SampleRing {
  private readonly slab: RingSlab;

  constructor(origin: number, capacity: number) {
    this.slab = new RingSlab(origin, capacity);
    this.slab.create(0);
  }

  get size(): number {
    return this.slab.size(0);
  }

  /** Bytes held by the samples. */
  get bytes(): number {
    return this.slab.bytes(0);
  }

  push(time: number, value: number): void {
    this.slab.push(0, time, value);
  }

  /** Newest sample time (Unix ms), or undefined when empty. */
  lastTime(): number | undefined {
    return this.slab.lastTime(0);
  }

  /** Calls `fn` for every sample with from <= time <= to, oldest first. */
  forEach(from: number, to: number, fn: (time: number, value: number) => void): void {
    this.slab.forEach(0, from, to, fn);
  }

  /** Drops samples older than `before`. */
  trim(before: number): void {
    this.slab.trim(0, before);
  }
}
