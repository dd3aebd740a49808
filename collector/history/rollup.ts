/** One minute of one series: what is kept on disk after the raw samples age out. */
export interface Rollup {
  /** Start of the minute (Unix ms, a multiple of 60 000). */
  minute: number;
  min: number;
  max: number;
  avg: number;
  last: number;
  count: number;
}

export const MINUTE_MS = 60_000;

export function minuteOf(time: number): number {
  return Math.floor(time / MINUTE_MS) * MINUTE_MS;
}

/**
 * Finished minutes waiting to be written, first in first out, as columns (no object per row).
 * `queued` and `taken` count every row ever pushed and shifted.
 */
export class RollupQueue {
  slot = new Int32Array(1024);
  minute = new Float64Array(1024);
  min = new Float64Array(1024);
  max = new Float64Array(1024);
  avg = new Float64Array(1024);
  last = new Float64Array(1024);
  count = new Int32Array(1024);
  /** Index of the first row waiting, and one past the last. */
  start = 0;
  end = 0;
  queued = 0;
  taken = 0;

  get length(): number {
    return this.end - this.start;
  }

  push(slot: number, minute: number, min: number, max: number, avg: number, last: number, count: number): void {
    if (this.end === this.slot.length) this.makeRoom();
    const k = this.end++;
    this.slot[k] = slot;
    this.minute[k] = minute;
    this.min[k] = min;
    this.max[k] = max;
    this.avg[k] = avg;
    this.last[k] = last;
    this.count[k] = count;
    this.queued++;
  }

  /** Drops the first `n` rows (written). */
  shift(n: number): void {
    this.start += n;
    this.taken += n;
    if (this.start === this.end) this.start = this.end = 0;
  }

  private makeRoom(): void {
    const live = this.end - this.start;
    if (this.start > 0 && live <= this.slot.length / 2) {
      for (const a of [this.slot, this.minute, this.min, this.max, this.avg, this.last, this.count]) a.copyWithin(0, this.start, this.end);
    } else {
      const n = 2 * this.slot.length;
      this.slot = moved(this.slot, new Int32Array(n), this.start, this.end);
      this.minute = moved(this.minute, new Float64Array(n), this.start, this.end);
      this.min = moved(this.min, new Float64Array(n), this.start, this.end);
      this.max = moved(this.max, new Float64Array(n), this.start, this.end);
      this.avg = moved(this.avg, new Float64Array(n), this.start, this.end);
      this.last = moved(this.last, new Float64Array(n), this.start, this.end);
      this.count = moved(this.count, new Int32Array(n), this.start, this.end);
    }
    this.start = 0;
    this.end = live;
  }
}

function moved<T extends Int32Array | Float64Array>(from: T, to: T, start: number, end: number): T {
  to.set(from.subarray(start, end));
  return to;
}

/**
 * The minute being filled, of many series, as columns indexed by series number (NaN minute:
 * none running). Allocation-free.
 */
export class MinuteSlab {
  minute = new Float64Array(0);
  min = new Float64Array(0);
  max = new Float64Array(0);
  sum = new Float64Array(0);
  last = new Float64Array(0);
  count = new Int32Array(0);

  /** Makes room for series numbers below `n`; new ones have no running minute. */
  ensure(n: number): void {
    if (n <= this.minute.length) return;
    const size = Math.max(n, 2 * this.minute.length, 1024);
    const minute = new Float64Array(size).fill(NaN);
    minute.set(this.minute);
    this.minute = minute;
    this.min = grownF(this.min, size);
    this.max = grownF(this.max, size);
    this.sum = grownF(this.sum, size);
    this.last = grownF(this.last, size);
    const count = new Int32Array(size);
    count.set(this.count);
    this.count = count;
  }

  /** Whether series `i` has a minute running. */
  running(i: number): boolean {
    return !Number.isNaN(this.minute[i]);
  }

  /**
   * Adds a sample to the running minute of series `i`, starting a new one when the sample opens
   * a new minute; the minute that finished then is pushed to `done`. Samples older than the
   * running minute are ignored (already closed). Returns whether a minute finished.
   */
  accumulate(i: number, time: number, value: number, done: RollupQueue): boolean {
    const minute = minuteOf(time);
    const running = this.minute[i] as number;
    if (Number.isNaN(running) || minute > running) {
      const closed = !Number.isNaN(running);
      if (closed) this.close(i, done);
      this.minute[i] = minute;
      this.min[i] = value;
      this.max[i] = value;
      this.sum[i] = value;
      this.last[i] = value;
      this.count[i] = 1;
      return closed;
    }
    if (minute < running) return false;
    if (value < (this.min[i] as number)) this.min[i] = value;
    if (value > (this.max[i] as number)) this.max[i] = value;
    this.sum[i] = (this.sum[i] as number) + value;
    this.count[i] = (this.count[i] as number) + 1;
    this.last[i] = value;
    return false;
  }

  /** Pushes the running minute of series `i` to `done` (min, max, avg, last, count) and ends it. */
  close(i: number, done: RollupQueue): void {
    const n = this.count[i] as number;
    done.push(i, this.minute[i] as number, this.min[i] as number, this.max[i] as number, (this.sum[i] as number) / n, this.last[i] as number, n);
    this.minute[i] = NaN;
  }

  /** Ends series `i`'s running minute without keeping it. */
  clear(i: number): void {
    this.minute[i] = NaN;
  }
}

function grownF(a: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}
