import type { Rollup, RollupQueue } from "./rollup.js";

/**
 * Rollups are stored by chunk of CHUNK series (by disk id: a node's series, registered together,
 * share chunks) and minute, one row holding an entry per series of the chunk. A minute of a large
 * cluster is then a few thousand appended rows, instead of a row per series put in its place
 * among all earlier minutes (a page written per row once each series has an hour of them).
 *
 * An entry is six little-endian float64: the series' place in the chunk, count, min, max, avg, last.
 */
export const CHUNK = 64;
export const ENTRY_BYTES = 48;

/** Chunk of a series by its disk id. */
export function chunkOf(id: number): number {
  return Math.floor(id / CHUNK);
}

/** Calls `each` for every entry of a chunk row: the series' place in the chunk, and its minute's figures. */
export function readEntries(data: Buffer, minute: number, each: (slot: number, r: Rollup) => void): void {
  for (let at = 0; at + ENTRY_BYTES <= data.length; at += ENTRY_BYTES) {
    each(data.readDoubleLE(at), { minute, min: data.readDoubleLE(at + 16), max: data.readDoubleLE(at + 24), avg: data.readDoubleLE(at + 32), last: data.readDoubleLE(at + 40), count: data.readDoubleLE(at + 8) });
  }
}

/**
 * The entries of `add` for series that `old` lacks, after those of `old`. A minute already on
 * disk is kept: it was complete when written, while one recomputed from a replay may not be.
 */
export function mergeChunk(old: Buffer, add: Buffer): Buffer {
  const have = new Set<number>();
  for (let at = 0; at + ENTRY_BYTES <= old.length; at += ENTRY_BYTES) have.add(old.readDoubleLE(at));
  const parts = [old];
  for (let at = 0; at + ENTRY_BYTES <= add.length; at += ENTRY_BYTES) {
    const slot = add.readDoubleLE(at);
    if (!have.has(slot)) {
      have.add(slot);
      parts.push(add.subarray(at, at + ENTRY_BYTES));
    }
  }
  return parts.length === 1 ? old : Buffer.concat(parts);
}

/**
 * One chunk row's data from queued rollups: `rows` holds pairs [queue index, place in the chunk].
 * A place seen twice (a minute closed, then reopened by a late sample) keeps its first entry, as
 * `mergeChunk` does on disk.
 */
export function encodeEntries(q: RollupQueue, rows: readonly number[]): Buffer {
  const data = Buffer.allocUnsafe((rows.length / 2) * ENTRY_BYTES);
  const seen = new Set<number>();
  let at = 0;
  for (let r = 0; r < rows.length; r += 2) {
    const k = rows[r] as number;
    const slot = rows[r + 1] as number;
    if (seen.has(slot)) continue;
    seen.add(slot);
    at = data.writeDoubleLE(slot, at);
    at = data.writeDoubleLE(q.count[k] as number, at);
    at = data.writeDoubleLE(q.min[k] as number, at);
    at = data.writeDoubleLE(q.max[k] as number, at);
    at = data.writeDoubleLE(q.avg[k] as number, at);
    at = data.writeDoubleLE(q.last[k] as number, at);
  }
  return data.subarray(0, at);
}
