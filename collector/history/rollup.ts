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
 * Adds a sample to the running minute of `holder` (a series), starting a new one when the sample
 * opens a new minute; returns the minute that finished then, to be stored. Samples older than the
 * running minute are ignored (already closed). Allocates only when a minute starts.
 */
export function accumulate(holder: { acc?: MinuteAccumulator }, time: number, value: number): Rollup | undefined {
  const minute = minuteOf(time);
  const acc = holder.acc;
  if (acc === undefined || minute > acc.minute) {
    holder.acc = { minute, min: value, max: value, sum: value, count: 1, last: value };
    return acc === undefined ? undefined : close(acc);
  }
  if (minute < acc.minute) return undefined;
  if (value < acc.min) acc.min = value;
  if (value > acc.max) acc.max = value;
  acc.sum += value;
  acc.count++;
  acc.last = value;
  return undefined;
}

export function close(acc: MinuteAccumulator): Rollup {
  return { minute: acc.minute, min: acc.min, max: acc.max, avg: acc.sum / acc.count, last: acc.last, count: acc.count };
}
