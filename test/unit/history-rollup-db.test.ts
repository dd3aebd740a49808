import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RollupQueue, type Rollup } from "../../collector/history/rollup.js";
import { CHUNK, ENTRY_BYTES, encodeEntries, mergeChunk, readEntries } from "../../collector/history/rollup-chunks.js";
import { RollupDb } from "../../collector/history/rollup-db.js";

const M0 = 28_333_333 * 60_000;

/** A queue holding one row per [series number, minute, value] (min, max, avg, last all `value`, count 1). */
function queueOf(rows: [number, number, number][]): RollupQueue {
  const q = new RollupQueue();
  for (const [s, minute, v] of rows) q.push(s, minute, v, v, v, v, 1);
  return q;
}

function entries(data: Buffer): [number, Rollup][] {
  const out: [number, Rollup][] = [];
  readEntries(data, M0, (slot, r) => out.push([slot, r]));
  return out;
}

describe("rollup chunk rows", () => {
  it("reads back every figure of every entry encoded, in the queue's order", () => {
    const q = new RollupQueue();
    q.push(7, M0, 1, 9, 4.5, 8, 3);
    q.push(8, M0, -2, 0, -1, 0, 2);
    const data = encodeEntries(q, [0, 5, 1, 63]);
    expect(data.length).toBe(2 * ENTRY_BYTES);
    expect(entries(data)).toEqual([
      [5, { minute: M0, min: 1, max: 9, avg: 4.5, last: 8, count: 3 }],
      [63, { minute: M0, min: -2, max: 0, avg: -1, last: 0, count: 2 }],
    ]);
  });

  it("keeps the first entry of a place given twice (a minute closed, then reopened by a late sample)", () => {
    const data = encodeEntries(queueOf([[1, M0, 10], [1, M0, 20]]), [0, 4, 1, 4]);
    expect(entries(data).map(([slot, r]) => [slot, r.last])).toEqual([[4, 10]]);
  });

  it("merges a row written in pieces, keeping what is already on disk", () => {
    const q = queueOf([[0, M0, 1], [1, M0, 2], [2, M0, 3]]);
    const old = encodeEntries(q, [0, 0, 1, 1]);
    const merged = mergeChunk(old, encodeEntries(q, [2, 1, 1, 2]));
    expect(entries(merged).map(([slot, r]) => [slot, r.last])).toEqual([[0, 1], [1, 2], [2, 2]]);
    expect(mergeChunk(old, encodeEntries(q, [2, 1]))).toBe(old);
  });
});

describe("RollupDb", () => {
  it("registers a series once and lists it by metric", () => {
    const db = new RollupDb(":memory:");
    const a = db.seriesId("m\u0000node=a", "m", { node: "a" }, true);
    expect(db.seriesId("m\u0000node=a", "m", { node: "a" }, true)).toBe(a);
    const b = db.seriesId("m\u0000node=b", "m", { node: "b" }, false);
    expect(b).not.toBe(a);
    expect(db.storedSeries("m")).toEqual([{ id: a, labels: { node: "a" }, counter: true }, { id: b, labels: { node: "b" }, counter: false }]);
    expect(db.storedSeries("other")).toEqual([]);
    db.close();
  });

  it("writes queued rows across chunks and minutes, and reads back only the series asked for", () => {
    const db = new RollupDb(":memory:");
    // Series numbers 0…2 stand for disk ids on both sides of a chunk boundary.
    const idOf = [CHUNK - 1, CHUNK, 3 * CHUNK + 5];
    const q = queueOf([[0, M0, 1], [1, M0, 2], [2, M0, 3], [0, M0 + 60_000, 4], [1, M0 + 120_000, 5]]);
    db.transaction(() => db.write(q, 0, q.end, (s) => idOf[s] as number));
    const read = db.rollups([CHUNK - 1, CHUNK, 3 * CHUNK + 5, 3 * CHUNK + 6], M0, M0 + 60_000);
    expect([...read].map(([id, rs]) => [id, rs.map((r) => [r.minute - M0, r.last])])).toEqual([
      [CHUNK - 1, [[0, 1], [60_000, 4]]],
      [CHUNK, [[0, 2]]],
      [3 * CHUNK + 5, [[0, 3]]],
      [3 * CHUNK + 6, []],
    ]);
    db.deleteBefore(M0 + 60_000);
    expect(db.rollups([CHUNK - 1, CHUNK], 0, Infinity).get(CHUNK - 1)?.map((r) => r.minute)).toEqual([M0 + 60_000]);
    expect(db.rollups([CHUNK - 1, CHUNK], 0, Infinity).get(CHUNK)?.map((r) => r.minute)).toEqual([M0 + 120_000]);
    db.close();
  });

  it("holds the series and the chunk rows, and no row-per-series rollup table", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "vigie-rollup-db-"));
    try {
      const file = path.join(dir, "sub", "history.db");
      new RollupDb(file).close();
      const raw = new Database(file, { readonly: true });
      const tables = (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
      raw.close();
      expect(tables).toEqual(["rollup_chunks", "series"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
