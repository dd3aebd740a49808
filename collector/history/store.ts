import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Attributes, EnvelopeOf } from "../../protocol/index.js";
import { counterRate } from "./rate.js";
import { SampleRing } from "./ring.js";
import { accumulate, close, MINUTE_MS, type MinuteAccumulator, type Rollup } from "./rollup.js";
import { DEFAULT_DROPPED_ATTRIBUTES, RESOURCE_LABELS, seriesKey, seriesLabels, type Labels } from "./series.js";

export interface HistoryOptions {
  /** How long samples are kept at full resolution, in memory (ms). Default 1 h. */
  windowMs?: number;
  /** Expected sampling interval (ms); sizes each series' ring (window / interval samples). Default 10 s. */
  intervalMs?: number;
  /** How long 1-minute rollups are kept on disk (ms). Default 7 days. */
  retentionMs?: number;
  /** Most series held in memory; samples of further series are dropped and counted. Default 500 000. */
  maxSeries?: number;
  /** Point attributes summed away (default: `cpu.logical_number`). */
  droppedAttributes?: readonly string[];
}

export const HISTORY_DEFAULTS = { windowMs: 3_600_000, intervalMs: 10_000, retentionMs: 7 * 86_400_000, maxSeries: 500_000 } as const;

/** One series in memory. Counters hold per-second rates, derived on arrival. */
export interface Series {
  /** Canonical identity: metric and sorted labels (what is stored on disk). */
  key: string;
  /** Key of the in-memory index (cheaper to build per sample). */
  lookup: string;
  metric: string;
  labels: Labels;
  counter: boolean;
  ring: SampleRing;
  /** Last cumulative reading of a counter (time, value), to derive the next rate; NaN before the first. */
  prevTime: number;
  prevValue: number;
  acc?: MinuteAccumulator;
  id?: number;
}

export interface HistoryStats {
  series: number;
  samples: number;
  droppedSeries: number;
  rollupsWritten: number;
  /** Bytes of sample arrays, as of the last `maintain()`. */
  sampleBytes: number;
}

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  metric TEXT NOT NULL,
  labels TEXT NOT NULL,
  counter INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS series_metric ON series (metric);
CREATE TABLE IF NOT EXISTS rollups (
  series_id INTEGER NOT NULL,
  minute INTEGER NOT NULL,
  min REAL NOT NULL, max REAL NOT NULL, avg REAL NOT NULL, last REAL NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (series_id, minute)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS rollups_minute ON rollups (minute);
`;

/**
 * Metrics history: every series at sample resolution for a window, in memory, and as 1-minute
 * rollups (min, max, avg, last) on SQLite for the retention. Rollups are written in batches by
 * `flush()` — per message would cost a disk write per sample — so the minutes not yet flushed
 * when the collector stops are rebuilt from the JetStream stream on the next start.
 */
export class MetricsHistory {
  readonly stats: HistoryStats = { series: 0, samples: 0, droppedSeries: 0, rollupsWritten: 0, sampleBytes: 0 };
  readonly windowMs: number;
  readonly retentionMs: number;
  private readonly capacity: number;
  private readonly maxSeries: number;
  private readonly dropped: ReadonlySet<string>;
  private readonly origin: number;
  private readonly series = new Map<string, Series>();
  private readonly byMetric = new Map<string, Set<Series>>();
  private pending: { s: Series; r: Rollup }[] = [];
  private readonly db: Database.Database;
  private readonly insertSeries: Database.Statement;
  private readonly insertRollup: Database.Statement;

  constructor(file: string, options: HistoryOptions & { now: () => number }) {
    this.windowMs = options.windowMs ?? HISTORY_DEFAULTS.windowMs;
    this.retentionMs = options.retentionMs ?? HISTORY_DEFAULTS.retentionMs;
    this.capacity = Math.max(2, Math.ceil(this.windowMs / (options.intervalMs ?? HISTORY_DEFAULTS.intervalMs)) + 1);
    this.maxSeries = options.maxSeries ?? HISTORY_DEFAULTS.maxSeries;
    this.dropped = new Set(options.droppedAttributes ?? DEFAULT_DROPPED_ATTRIBUTES);
    // Sample times are stored relative to this origin (32-bit deciseconds reach ±6.8 years).
    this.origin = options.now() - 86_400_000;
    if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA_SQL);
    this.insertSeries = this.db.prepare("INSERT INTO series (key, metric, labels, counter) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET key = excluded.key RETURNING id");
    // A minute already on disk is complete; one recomputed from a replay may not be.
    this.insertRollup = this.db.prepare("INSERT INTO rollups (series_id, minute, min, max, avg, last, count) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING");
  }

  /** Adds the samples of one metrics message. Points that share a series after dropped attributes are summed. */
  append(env: EnvelopeOf<"metrics">): void {
    const time = env.time;
    for (const r of env.payload.resources) {
      // The resource's part of every key, built once; labels objects only for new series.
      const resourceKey = resourceKeyOf(env.node.hostname, r.resource);
      for (const m of r.metrics) {
        const counter = m.type === "counter";
        if (m.points.length === 1) {
          const p = m.points[0] as (typeof m.points)[number];
          this.record(m.name + resourceKey + this.pointKey(p.attributes), m.name, env.node.hostname, r.resource, p.attributes, counter, time, p.value);
          continue;
        }
        const sums = new Map<string, { attributes: (typeof m.points)[number]["attributes"]; value: number }>();
        for (const p of m.points) {
          const key = m.name + resourceKey + this.pointKey(p.attributes);
          const e = sums.get(key);
          if (e) e.value += p.value;
          else sums.set(key, { attributes: p.attributes, value: p.value });
        }
        for (const [key, e] of sums) this.record(key, m.name, env.node.hostname, r.resource, e.attributes, counter, time, e.value);
      }
    }
  }

  private pointKey(attributes: Attributes | undefined): string {
    if (!attributes) return "";
    let key = "";
    for (const k of Object.keys(attributes).sort()) if (!this.dropped.has(k)) key += `\u0000${k}=${String(attributes[k])}`;
    return key;
  }

  private record(key: string, metric: string, hostname: string, resource: Attributes, attributes: Attributes | undefined, counter: boolean, time: number, value: number): void {
    let s = this.series.get(key);
    if (!s) {
      if (this.series.size >= this.maxSeries) {
        this.stats.droppedSeries++;
        return;
      }
      const labels = seriesLabels(hostname, resource, attributes, this.dropped);
      s = { key: seriesKey(metric, labels), lookup: key, metric, labels, counter, ring: new SampleRing(this.origin, this.capacity), prevTime: NaN, prevValue: NaN };
      this.series.set(key, s);
      let set = this.byMetric.get(metric);
      if (!set) this.byMetric.set(metric, (set = new Set()));
      set.add(s);
      this.stats.series = this.series.size;
    }
    const last = s.ring.lastTime();
    if (counter) {
      const prevTime = s.prevTime;
      const prevValue = s.prevValue;
      if (time <= prevTime) return;
      s.prevTime = time;
      s.prevValue = value;
      if (Number.isNaN(prevTime)) return;
      const rate = counterRate(prevValue, prevTime, value, time);
      if (rate === undefined) return;
      value = rate;
    } else if (last !== undefined && time <= last) {
      return;
    }
    s.ring.push(time, value);
    this.stats.samples++;
    const { acc, closed } = accumulate(s.acc, time, value);
    s.acc = acc;
    if (closed) this.pending.push({ s, r: closed });
  }

  /** Series in memory with this metric name. */
  select(metric: string): Iterable<Series> {
    return this.byMetric.get(metric) ?? [];
  }

  /** Metric names in memory. */
  metrics(): string[] {
    return [...this.byMetric.keys()].sort();
  }

  /** Series ever stored on disk for this metric (including those no longer in memory). */
  storedSeries(metric: string): { id: number; labels: Labels; counter: boolean }[] {
    const rows = this.db.prepare("SELECT id, labels, counter FROM series WHERE metric = ?").all(metric) as { id: number; labels: string; counter: number }[];
    return rows.map((r) => ({ id: r.id, labels: JSON.parse(r.labels) as Labels, counter: r.counter === 1 }));
  }

  /** Rollups of the given series with from <= minute <= to, by series id. */
  rollups(ids: readonly number[], from: number, to: number): Map<number, Rollup[]> {
    const out = new Map<number, Rollup[]>();
    const stmt = this.db.prepare("SELECT minute, min, max, avg, last, count FROM rollups WHERE series_id = ? AND minute BETWEEN ? AND ? ORDER BY minute");
    for (const id of ids) out.set(id, stmt.all(id, from, to) as Rollup[]);
    return out;
  }

  /**
   * Closes the minutes of series that went quiet, trims samples older than the window, forgets
   * series idle for a whole window, and deletes rollups past the retention. Walks every series:
   * call it every few seconds, not per message.
   */
  maintain(now: number): void {
    const quietBefore = now - 2 * MINUTE_MS;
    const windowStart = now - this.windowMs;
    let bytes = 0;
    for (const s of this.series.values()) {
      bytes += s.ring.bytes;
      if (s.acc && s.acc.minute < quietBefore) {
        this.pending.push({ s, r: close(s.acc) });
        s.acc = undefined;
      }
      s.ring.trim(windowStart);
      const last = s.ring.lastTime() ?? (Number.isNaN(s.prevTime) ? undefined : s.prevTime);
      if (!s.acc && (last === undefined || last < windowStart)) {
        this.series.delete(s.lookup);
        this.byMetric.get(s.metric)?.delete(s);
      }
    }
    this.stats.series = this.series.size;
    this.stats.sampleBytes = bytes;
    this.db.prepare("DELETE FROM rollups WHERE minute < ?").run(now - this.retentionMs);
  }

  /**
   * Writes finished minutes to disk in one transaction, at most `maxRows` of them (the rest wait
   * for the next call): SQLite is synchronous, and a large cluster closes a minute for every
   * series at once, so the work is spread over several calls to keep the event loop free.
   * Returns the number of rollups written.
   */
  flush(maxRows = Infinity): number {
    if (this.pending.length === 0) return 0;
    const batch = this.pending.length <= maxRows ? this.pending : this.pending.slice(0, maxRows);
    this.pending = batch === this.pending ? [] : this.pending.slice(maxRows);
    this.db.transaction(() => {
      for (const { s, r } of batch) {
        s.id ??= (this.insertSeries.get(s.key, s.metric, JSON.stringify(s.labels), s.counter ? 1 : 0) as { id: number }).id;
        this.insertRollup.run(s.id, r.minute, r.min, r.max, r.avg, r.last, r.count);
      }
    })();
    this.stats.rollupsWritten += batch.length;
    return batch.length;
  }

  /** Rollups waiting to be written. */
  get pendingRollups(): number {
    return this.pending.length;
  }

  /** Bytes held by sample storage (not counting labels and bookkeeping). */
  sampleBytes(): number {
    let n = 0;
    for (const s of this.series.values()) n += s.ring.bytes;
    return n;
  }

  close(): void {
    this.db.close();
  }
}

/** The resource's part of a series' lookup key (not the canonical `seriesKey`, which sorts all labels). */
function resourceKeyOf(hostname: string, resource: Attributes): string {
  let key = `\u0001${hostname}`;
  for (const k of RESOURCE_LABELS) {
    const v = resource[k];
    if (v !== undefined) key += `\u0001${String(v)}`;
  }
  return key;
}
