// Float bits go through this scratch pair so that a ring needs one typed array, not two: at
// hundreds of thousands of series, every ArrayBuffer less is work the garbage collector saves.
const scratchF32 = new Float32Array(1);
const scratchI32 = new Int32Array(scratchF32.buffer);

/**
 * The raw samples of one series, oldest overwritten first. Each sample is two 32-bit words in
 * one array: the time in deciseconds from a shared origin, and the value as a 32-bit float
 * (counters are stored as rates, so float precision is plenty): 8 bytes a sample. Storage grows
 * by doubling up to `capacity`, so a short-lived series costs little.
 */
export class SampleRing {
  private words: Int32Array;
  private head = 0;
  private count = 0;

  constructor(
    private readonly origin: number,
    private readonly capacity: number,
  ) {
    this.words = new Int32Array(2 * Math.min(capacity, 4));
  }

  get size(): number {
    return this.count;
  }

  /** Bytes held by the samples' array. */
  get bytes(): number {
    return this.words.byteLength;
  }

  private get slots(): number {
    return this.words.length >> 1;
  }

  push(time: number, value: number): void {
    if (this.count === this.slots && this.slots < this.capacity) this.grow();
    const len = this.slots;
    const at = ((this.head + this.count) % len) << 1;
    this.words[at] = Math.round((time - this.origin) / 100);
    scratchF32[0] = value;
    this.words[at + 1] = scratchI32[0] as number;
    if (this.count < len) this.count++;
    else this.head = (this.head + 1) % len;
  }

  /** Newest sample time (Unix ms), or undefined when empty. */
  lastTime(): number | undefined {
    if (this.count === 0) return undefined;
    return this.timeAt(this.count - 1);
  }

  /** Calls `fn` for every sample with from <= time <= to, oldest first. */
  forEach(from: number, to: number, fn: (time: number, value: number) => void): void {
    for (let i = 0; i < this.count; i++) {
      const t = this.timeAt(i);
      if (t < from) continue;
      if (t > to) break;
      scratchI32[0] = this.words[(((this.head + i) % this.slots) << 1) + 1] as number;
      fn(t, scratchF32[0] as number);
    }
  }

  /** Drops samples older than `before`. */
  trim(before: number): void {
    while (this.count > 0 && this.timeAt(0) < before) {
      this.head = (this.head + 1) % this.slots;
      this.count--;
    }
  }

  private timeAt(i: number): number {
    return this.origin + (this.words[((this.head + i) % this.slots) << 1] as number) * 100;
  }

  private grow(): void {
    const slots = Math.min(this.capacity, this.slots * 2);
    const words = new Int32Array(slots * 2);
    for (let i = 0; i < this.count; i++) {
      const from = ((this.head + i) % this.slots) << 1;
      words[2 * i] = this.words[from] as number;
      words[2 * i + 1] = this.words[from + 1] as number;
    }
    this.words = words;
    this.head = 0;
  }
}
