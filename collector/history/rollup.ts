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

/** The minute being filled. */
export interface MinuteAccumulator {
  minute: number;
  min: number;
  max: number;
  sum: number;
  count: number;
  last: number;
}

export const MINUTE_MS = 60_000;

export function minuteOf(time: number): number {
  return Math.floor(time / MINUTE_MS) * MINUTE_MS;
}

/**
 * Adds a sample to the running minute. When the sample opens a new minute, the finished one is
 * returned to be stored. Samples older than the running minute are ignored (already closed).
 */
export function accumulate(acc: MinuteAccumulator | undefined, time: number, value: number): { acc: MinuteAccumulator; closed?: Rollup } {
  const minute = minuteOf(time);
  if (!acc || minute > acc.minute) {
    return { acc: { minute, min: value, max: value, sum: value, count: 1, last: value }, closed: acc ? close(acc) : undefined };
  }
  if (minute < acc.minute) return { acc };
  acc.min = Math.min(acc.min, value);
  acc.max = Math.max(acc.max, value);
  acc.sum += value;
  acc.count++;
  acc.last = value;
  return { acc };
}

export function close(acc: MinuteAccumulator): Rollup {
  return { minute: acc.minute, min: acc.min, max: acc.max, avg: acc.sum / acc.count, last: acc.last, count: acc.count };
}
