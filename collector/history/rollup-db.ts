import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { MINUTE_MS, type Rollup, type RollupQueue } from "./rollup.js";
import { CHUNK, chunkOf, encodeEntries, mergeChunk, readEntries } from "./rollup-chunks.js";
import type { Labels } from "./series.js";

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  metric TEXT NOT NULL,
  labels TEXT NOT NULL,
  counter INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS series_metric ON series (metric);
CREATE TABLE IF NOT EXISTS rollup_chunks (
  chunk INTEGER NOT NULL,
  minute INTEGER NOT NULL,
  data BLOB NOT NULL,
  UNIQUE (chunk, minute)
);
CREATE INDEX IF NOT EXISTS rollup_chunks_minute ON rollup_chunks (minute);
`;

/** Chunk and minute as one number, to group rows by both (minutes since 1970 stay below 2^26). */
const MINUTES = 2 ** 26;

/** Rollups are kept for minutes from 1970 up to this time (Unix ms; in 2097). */
export const ROLLUP_TIME_END = MINUTES * MINUTE_MS;

/** A series as registered on disk. */
export interface StoredSeries {
  id: number;
  labels: Labels;
  counter: boolean;
}

/**
 * The history's SQLite file: every series ever stored (id, key, metric, labels) and their
 * 1-minute rollups in chunk rows (`rollup-chunks.ts`). Synchronous, like better-sqlite3: the
 * caller bounds how much it writes at a time.
 */
export class RollupDb {
  private readonly db: Database.Database;
  private readonly findSeries: Database.Statement;
  private readonly insertSeries: Database.Statement;
  private readonly seriesOfMetric: Database.Statement;
  private readonly upsertChunk: Database.Statement;
  private readonly selectChunk: Database.Statement;
  private readonly deleteChunks: Database.Statement;

  /** Opens (creating it and its directory if needed) the file; ":memory:" for none. */
  constructor(file: string) {
    if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    // Flushes are many small transactions: checkpoint (and fsync) every 64 MiB of log, not every 4 MiB.
    this.db.pragma("wal_autocheckpoint = 16384");
    this.db.exec(SCHEMA_SQL);
    this.findSeries = this.db.prepare("SELECT id FROM series WHERE key = ?");
    this.insertSeries = this.db.prepare("INSERT INTO series (key, metric, labels, counter) VALUES (?, ?, ?, ?)");
    this.seriesOfMetric = this.db.prepare("SELECT id, labels, counter FROM series WHERE metric = ?");
    this.db.function("vigie_merge_rollups", { deterministic: true }, (old: unknown, add: unknown) => mergeChunk(old as Buffer, add as Buffer));
    this.upsertChunk = this.db.prepare("INSERT INTO rollup_chunks (chunk, minute, data) VALUES (?, ?, ?) ON CONFLICT (chunk, minute) DO UPDATE SET data = vigie_merge_rollups(data, excluded.data)");
    this.selectChunk = this.db.prepare("SELECT minute, data FROM rollup_chunks WHERE chunk = ? AND minute BETWEEN ? AND ? ORDER BY minute");
    this.deleteChunks = this.db.prepare("DELETE FROM rollup_chunks WHERE minute < ?");
  }

  /** Runs `fn` in one transaction (one commit for many writes). */
  transaction(fn: () => void): void {
    this.db.transaction(fn)();
  }

  /** A series' disk id, registered if new. */
  seriesId(key: string, metric: string, labels: Labels, counter: boolean): number {
    // Looked up first: after a restart most series are on disk already, and the lookup costs a
    // tenth of an upsert.
    const row = this.findSeries.get(key) as { id: number } | undefined;
    return row ? row.id : Number(this.insertSeries.run(key, metric, JSON.stringify(labels), counter ? 1 : 0).lastInsertRowid);
  }

  /**
   * Writes the queued rollups [from, to), one row per chunk and minute. `idOf` gives the disk id
   * of a queued series number (registering the series if needed).
   */
  write(q: RollupQueue, from: number, to: number, idOf: (s: number) => number): void {
    // Per chunk and minute: pairs [queue index, place in the chunk].
    const groups = new Map<number, number[]>();
    for (let k = from; k < to; k++) {
      const id = idOf(q.slot[k] as number);
      const g = chunkOf(id) * MINUTES + (q.minute[k] as number) / MINUTE_MS;
      let rows = groups.get(g);
      if (!rows) groups.set(g, (rows = []));
      rows.push(k, id % CHUNK);
    }
    for (const [g, rows] of groups) this.upsertChunk.run(Math.floor(g / MINUTES), (g % MINUTES) * MINUTE_MS, encodeEntries(q, rows));
  }

  /** Series ever stored for this metric. */
  storedSeries(metric: string): StoredSeries[] {
    const rows = this.seriesOfMetric.all(metric) as { id: number; labels: string; counter: number }[];
    return rows.map((r) => ({ id: r.id, labels: JSON.parse(r.labels) as Labels, counter: r.counter === 1 }));
  }

  /** Rollups of the given series with from <= minute <= to, by series id, oldest first. */
  rollups(ids: readonly number[], from: number, to: number): Map<number, Rollup[]> {
    const out = new Map<number, Rollup[]>();
    const chunks = new Set<number>();
    for (const id of ids) {
      out.set(id, []);
      chunks.add(chunkOf(id));
    }
    for (const chunk of chunks) {
      for (const row of this.selectChunk.iterate(chunk, from, to) as Iterable<{ minute: number; data: Buffer }>) {
        readEntries(row.data, row.minute, (slot, r) => out.get(chunk * CHUNK + slot)?.push(r));
      }
    }
    return out;
  }

  /** Deletes the rollups of minutes before `time`. */
  deleteBefore(time: number): void {
    this.deleteChunks.run(time);
  }

  close(): void {
    this.db.close();
  }
}
