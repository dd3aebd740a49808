/**
 * The raw samples of one series, oldest overwritten first. Times are kept as 32-bit
 * deciseconds from a shared origin and values as 32-bit floats: 8 bytes a sample (counters are
 * stored as rates, so float precision is plenty). Storage grows by doubling up to `capacity`,
 * so a short-lived series costs little.
 */
export class SampleRing {
  private times: Int32Array;
  private values: Float32Array;
  private head = 0;
  private count = 0;

  constructor(
    private readonly origin: number,
    private readonly capacity: number,
  ) {
    const initial = Math.min(capacity, 8);
    this.times = new Int32Array(initial);
    this.values = new Float32Array(initial);
  }

  get size(): number {
    return this.count;
  }

  /** Bytes held by the arrays. */
  get bytes(): number {
    return this.times.byteLength + this.values.byteLength;
  }

  push(time: number, value: number): void {
    if (this.count === this.times.length && this.times.length < this.capacity) this.grow();
    const len = this.times.length;
    const at = (this.head + this.count) % len;
    this.times[at] = Math.round((time - this.origin) / 100);
    this.values[at] = value;
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
      fn(t, this.values[(this.head + i) % this.values.length] as number);
    }
  }

  /** Drops samples older than `before`. */
  trim(before: number): void {
    while (this.count > 0 && this.timeAt(0) < before) {
      this.head = (this.head + 1) % this.times.length;
      this.count--;
    }
  }

  private timeAt(i: number): number {
    return this.origin + (this.times[(this.head + i) % this.times.length] as number) * 100;
  }

  private grow(): void {
    const size = Math.min(this.capacity, this.times.length * 2);
    const times = new Int32Array(size);
    const values = new Float32Array(size);
    for (let i = 0; i < this.count; i++) {
      times[i] = this.times[(this.head + i) % this.times.length] as number;
      values[i] = this.values[(this.head + i) % this.values.length] as number;
    }
    this.times = times;
    this.values = values;
    this.head = 0;
  }
}
