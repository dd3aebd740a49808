// Value bits go through these scratch views so that samples need one typed array, not two.
const scratchF32 = new Float32Array(1);
const scratchI32 = new Int32Array(scratchF32.buffer);
const scratchF64 = new Float64Array(1);
const scratchW64 = new Int32Array(scratchF64.buffer);

/** Float32 holds every integer up to 2^24 exactly; from there its step is 2 or more. */
const F32_EXACT = 2 ** 24;
/** Below float32's smallest normal number, its precision falls away. */
const F32_MIN_NORMAL = 2 ** -126;

/**
 * Whether `v` must be kept as a float64: float32 cannot hold it exactly, and it is either 2^24 or
 * larger — a byte count (5,000,000,123), a limit, a time in ms (1.7e12), a time in seconds with
 * its fraction (float32 would move it by up to a minute) — or too small for float32's normal
 * range. Every other value keeps float32's seven significant digits, plenty for rates and
 * ratios. An integer float32 cannot hold is always beyond 2^24, so integers need no test of their own.
 */
export function needsFloat64(v: number): boolean {
  if (Math.fround(v) === v || v !== v) return false;
  const a = Math.abs(v);
  return a >= F32_EXACT || a < F32_MIN_NORMAL;
}

/** About 1 MiB of samples per page of a size class. */
const PAGE_WORDS = 1 << 18;

/** Words per sample: the time, then the value as a float32 (one word) or a float64 (two). */
const NARROW = 2;
const WIDE = 3;

/** Blocks of one size (samples per ring) and width, carved out of large pages; freed blocks are reused. */
interface Pool {
  slots: number;
  /** Words per sample: `NARROW` or `WIDE`. */
  stride: number;
  /** Words per block. */
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
 * garbage collector has to mark stays a few hundred arrays. A sample is the time in deciseconds
 * from a shared origin (one 32-bit word) and the value as a float32 (one word): 8 bytes. A ring is
 * widened to float64 values (12 bytes a sample), in place and keeping its samples, the first time
 * it is given a value float32 would change beyond its seven digits (`needsFloat64`: a byte count
 * past 2^24, a start time): most series are rates and small gauges and never pay for it, while a
 * value read back from the history is the value the agent sent. A ring grows by doubling up to
 * `capacity` (each size and width a pool of blocks), so a short-lived series costs little.
 * Rings are numbered by the caller (0, 1, 2, …, reused after `release`).
 */
export class RingSlab {
  /** The float32 size classes, smallest first, then the float64 ones in the same order. */
  private readonly pools: Pool[] = [];
  /** Size classes per width: class `c` is float64 when `c >= classes`. */
  private readonly classes: number;
  /** Per ring: its class (-1: none), block in that class, head and count. */
  private cls = new Int8Array(0);
  private block = new Int32Array(0);
  private head = new Int32Array(0);
  private count = new Int32Array(0);

  constructor(
    private readonly origin: number,
    readonly capacity: number,
  ) {
    const sizes: number[] = [];
    for (let slots = Math.min(capacity, 4); ; slots = Math.min(capacity, slots * 2)) {
      sizes.push(slots);
      if (slots >= capacity) break;
    }
    this.classes = sizes.length;
    for (const stride of [NARROW, WIDE]) {
      for (const slots of sizes) {
        const words = stride * slots;
        const shift = Math.max(0, Math.floor(Math.log2(PAGE_WORDS / words)));
        this.pools.push({ slots, stride, words, shift, mask: (1 << shift) - 1, pages: [], free: [], next: 0 });
      }
    }
  }

  /** Whether a sample at `time` can be stored: its deciseconds from the origin fit 32 bits (about ±6.8 years). */
  holds(time: number): boolean {
    const d = Math.round((time - this.origin) / 100);
    return d >= -0x8000_0000 && d <= 0x7fff_ffff;
  }

  /** Starts ring `i`, empty, with float32 values (and room for a few samples). */
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

  /** Whether ring `i` keeps its values as float64. */
  wide(i: number): boolean {
    return (this.cls[i] as number) >= this.classes;
  }

  push(i: number, time: number, value: number): void {
    let c = this.cls[i] as number;
    if (c < this.classes && needsFloat64(value)) {
      this.move(i, c, c + this.classes);
      c += this.classes;
    }
    let pool = this.pools[c] as Pool;
    const n = this.count[i] as number;
    // The last class of each width is `capacity` samples: from there the ring wraps.
    if (n === pool.slots && (c + 1) % this.classes !== 0) {
      this.move(i, c, c + 1);
      pool = this.pools[++c] as Pool;
    }
    const len = pool.slots;
    const b = this.block[i] as number;
    const page = pool.pages[b >>> pool.shift] as Int32Array;
    const at = (b & pool.mask) * pool.words + (((this.head[i] as number) + n) % len) * pool.stride;
    page[at] = Math.round((time - this.origin) / 100);
    writeValue(page, at, pool.stride, value);
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
    const stride = pool.stride;
    for (let k = 0; k < n; k++) {
      const at = base + ((head + k) % pool.slots) * stride;
      const t = this.origin + (page[at] as number) * 100;
      if (t < from) continue;
      if (t > to) break;
      fn(t, readValue(page, at, stride));
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
    while (n > 0 && this.origin + (page[base + head * pool.stride] as number) * 100 < before) {
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
    return this.origin + (page[(b & pool.mask) * pool.words + (((this.head[i] as number) + k) % pool.slots) * pool.stride] as number) * 100;
  }

  /**
   * Moves ring `i` from class `c` to class `to` (the next size, or the same size float64),
   * oldest sample first; a float32 value becomes the float64 of the same number.
   */
  private move(i: number, c: number, to: number): void {
    const from = this.pools[c] as Pool;
    const into = this.pools[to] as Pool;
    const ob = this.block[i] as number;
    const nb = this.alloc(into);
    const src = from.pages[ob >>> from.shift] as Int32Array;
    const dst = into.pages[nb >>> into.shift] as Int32Array;
    const sBase = (ob & from.mask) * from.words;
    const dBase = (nb & into.mask) * into.words;
    const head = this.head[i] as number;
    const n = this.count[i] as number;
    for (let k = 0; k < n; k++) {
      const at = sBase + ((head + k) % from.slots) * from.stride;
      const d = dBase + k * into.stride;
      dst[d] = src[at] as number;
      if (from.stride === into.stride) for (let w = 1; w < from.stride; w++) dst[d + w] = src[at + w] as number;
      else writeValue(dst, d, into.stride, readValue(src, at, from.stride));
    }
    from.free.push(ob);
    this.cls[i] = to;
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

/** The value of the sample at word `at` (its time), in a block of `stride` words per sample. */
function readValue(page: Int32Array, at: number, stride: number): number {
  if (stride === NARROW) {
    scratchI32[0] = page[at + 1] as number;
    return scratchF32[0] as number;
  }
  scratchW64[0] = page[at + 1] as number;
  scratchW64[1] = page[at + 2] as number;
  return scratchF64[0] as number;
}

function writeValue(page: Int32Array, at: number, stride: number, value: number): void {
  if (stride === NARROW) {
    scratchF32[0] = value;
    page[at + 1] = scratchI32[0] as number;
    return;
  }
  scratchF64[0] = value;
  page[at + 1] = scratchW64[0] as number;
  page[at + 2] = scratchW64[1] as number;
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

  /** Whether the values are kept as float64 (see `needsFloat64`). */
  get wide(): boolean {
    return this.slab.wide(0);
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
