import type { SeriesColumns } from "./columns.js";
import { MINUTE_MS, type RollupQueue } from "./rollup.js";

/**
 * A minute still running this long after it started gets no more samples: the series went quiet
 * (a stopped container, a metric an agent no longer sends), and its rollup would otherwise wait
 * until the series is evicted.
 */
const QUIET_MS = 2 * MINUTE_MS;

/**
 * The maintenance walk over every series in memory: closes the minutes of series that went quiet
 * (into `done`), drops samples older than the window, and evicts series that were not seen for a
 * whole window and have no minute left to write. Returns the bytes of sample storage of the series
 * walked. It visits every series: run it every few seconds, not per message.
 */
export function sweep(columns: SeriesColumns, done: RollupQueue, now: number, windowMs: number): number {
  const quietBefore = now - QUIET_MS;
  const windowStart = now - windowMs;
  const { minutes, rings, live } = columns;
  let bytes = 0;
  for (let s = 0; s < columns.end; s++) {
    if (live[s] !== 1) continue;
    bytes += rings.bytes(s);
    if ((minutes.minute[s] as number) < quietBefore) minutes.close(s, done);
    rings.trim(s, windowStart);
    if (minutes.running(s)) continue;
    const last = columns.lastSeen(s);
    if (last === undefined || last < windowStart) columns.evict(s, done.queued);
  }
  return bytes;
}
