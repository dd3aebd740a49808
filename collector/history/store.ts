import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Attributes, EnvelopeOf, Metric } from "../../protocol/index.js";
import { counterRate } from "./rate.js";
import { RingSlab } from "./ring.js";
import { MINUTE_MS, MinuteSlab, RollupQueue, type Rollup } from "./rollup.js";
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

/**
 * One series in memory, as the queries see it (a view made on demand; the data live in columns).
 * Counters hold per-second rates, derived on arrival.
 */
export interface Series {
  /** Canonical identity: metric and sorted labels (what is stored on disk). */
  key: string;
  metric: string;
  labels: Labels;
  counter: boolean;
  /** Its samples; empty once the series left memory. */
  ring: SeriesSamples;
}

export interface SeriesSamples {
  readonly size: number;
  lastTime(): number | undefined;
  forEach(from: number, to: number, fn: (time: number, value: number) => void): void;
}

type Point = Metric["points"][number];

/**
 * What the points of one resource's metrics resolved to, valid while the message has the same
 * shape: flat arrays per resource (a dozen objects per container, not five per metric), since
 * there is a plan for every resource of a large cluster. Metric `i` has points
 * pointStart[i]…pointStart[i+1]-1 and groups (series) groupStart[i]…groupStart[i+1]-1.
 */
interface ResourcePlan {
  /** The node's message count when last seen: a resource missing from a message loses its plan. */
  generation: number;
  names: string[];
  types: Metric["type"][];
  pointStart: number[];
  groupStart: number[];
  /** Per metric: whether some points share a series after dropped attributes (then summed). */
  grouped: boolean[];
  /** Per point: its attributes when planned (the message's own objects), how many keys they had (-1: none), its group within the metric. */
  attrs: (Attributes | undefined)[];
  attrCounts: number[];
  group: number[];
  /** Per group: its series number, -1 until resolved (or refused by the bound), and that number's generation then. */
  series: number[];
  gens: number[];
}

function emptyPlan(generation: number): ResourcePlan {
  return { generation, names: [], types: [], pointStart: [0], groupStart: [0], grouped: [], attrs: [], attrCounts: [], group: [], series: [], gens: [] };
}

interface NodePlan {
  bootId: string;
  hostname: string;
  generation: number;
  /** By the resource's labels (`resourceKeyOf`). */
  resources: Map<string, ResourcePlan>;
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
CREATE TABLE IF NOT EXISTS rollup_chunks (
  chunk INTEGER NOT NULL,
  minute INTEGER NOT NULL,
  data BLOB NOT NULL,
  UNIQUE (chunk, minute)
);
CREATE INDEX IF NOT EXISTS rollup_chunks_minute ON rollup_chunks (minute);
`;

/**
 * Rollups are stored by chunk of CHUNK series (by series id: a node's series, registered together,
 * share chunks) and minute, one row holding an entry per series of the chunk: a minute of a large
 * cluster is then a few thousand appended rows instead of a row per series put in its place
 * among all earlier minutes (one page written per row once each series had an hour of them).
 * An entry is six float64: the series' place in the chunk, count, min, max, avg, last.
 */
const CHUNK = 64;
const ENTRY_BYTES = 48;

/** Calls `each` for every entry of a chunk row: the series' place in the chunk, and its minute's figures. */
function readEntries(data: Buffer, minute: number, each: (slot: number, r: Rollup) => void): void {
  for (let at = 0; at + ENTRY_BYTES <= data.length; at += ENTRY_BYTES) {
    each(data.readDoubleLE(at), { minute, min: data.readDoubleLE(at + 16), max: data.readDoubleLE(at + 24), avg: data.readDoubleLE(at + 32), last: data.readDoubleLE(at + 40), count: data.readDoubleLE(at + 8) });
  }
}

/** The entries of `add` for series that `old` lacks, after those of `old`: a minute already on disk is kept. */
function mergeChunk(old: Buffer, add: Buffer): Buffer {
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
 * Metrics history: every series at sample resolution for a window, in memory, and as 1-minute
 * rollups (min, max, avg, last) on SQLite for the retention. Rollups are written in batches by
 * `flush()` — per message would cost a disk write per sample — so the minutes not yet flushed
 * when the collector stops are rebuilt from the JetStream stream on the next start.
 *
 * Series are numbered; what a series holds (samples, counter reading, running minute, disk id)
 * lives in typed-array columns indexed by that number, not in objects: a million series are then
 * a few hundred arrays for the garbage collector, not tens of millions of objects. A series'
 * number is reused after it left memory; plans check its generation.
 */
export class MetricsHistory {
  readonly stats: HistoryStats = { series: 0, samples: 0, droppedSeries: 0, rollupsWritten: 0, sampleBytes: 0 };
  readonly windowMs: number;
  /** Expected sampling interval (ms). */
  readonly intervalMs: number;
  readonly retentionMs: number;
  private readonly maxSeries: number;
  private readonly dropped: ReadonlySet<string>;
  /** Series number by canonical key (series in memory). */
  private readonly index = new Map<string, number>();
  /** Series numbers by metric name (series in memory). */
  private readonly byMetric = new Map<string, Set<number>>();
  private readonly plans = new Map<string, NodePlan>();
  /** Per series number: key, metric, labels (undefined: number free). */
  private keys: (string | undefined)[] = [];
  private metricOf: string[] = [];
  private labelsOf: (Labels | undefined)[] = [];
  /** Per series number: 1 for a counter; generation (bumped when the series leaves memory); disk id (0: not known yet); 1 while in memory. */
  private counterOf = new Uint8Array(0);
  private live = new Uint8Array(0);
  private gen = new Int32Array(0);
  private ids = new Int32Array(0);
  /** Last cumulative reading of a counter (time, value), to derive the next rate; NaN before the first. */
  private prevTime = new Float64Array(0);
  private prevValue = new Float64Array(0);
  private readonly rings: RingSlab;
  private readonly minutes = new MinuteSlab();
  private readonly pending = new RollupQueue();
  /** Numbers never used yet start at `next`; freed ones wait in `free`. */
  private next = 0;
  private readonly free: number[] = [];
  /**
   * Series that left memory while rollups of theirs may still wait: [number, rows queued then],
   * freed once that many rows were written.
   */
  private readonly leaving: number[] = [];
  /** Scratch for the sums of a grouped metric. */
  private sums = new Float64Array(64);
  private readonly db: Database.Database;
  private readonly findSeries: Database.Statement;
  private readonly insertSeries: Database.Statement;
  private readonly upsertChunk: Database.Statement;
  private readonly selectChunk: Database.Statement;
  private readonly deleteOldRollups: Database.Statement;
  private readonly deleteOldChunks: Database.Statement;
  /** Whether the database holds rollups in the row-per-series table of earlier versions (still read). */
  private readonly legacyRollups: boolean;

  constructor(file: string, options: HistoryOptions & { now: () => number }) {
    this.windowMs = options.windowMs ?? HISTORY_DEFAULTS.windowMs;
    this.intervalMs = options.intervalMs ?? HISTORY_DEFAULTS.intervalMs;
    this.retentionMs = options.retentionMs ?? HISTORY_DEFAULTS.retentionMs;
    const capacity = Math.max(2, Math.ceil(this.windowMs / (options.intervalMs ?? HISTORY_DEFAULTS.intervalMs)) + 1);
    this.maxSeries = options.maxSeries ?? HISTORY_DEFAULTS.maxSeries;
    this.dropped = new Set(options.droppedAttributes ?? DEFAULT_DROPPED_ATTRIBUTES);
    // Sample times are stored relative to this origin (32-bit deciseconds reach ±6.8 years), on a
    // grid of whole deciseconds of Unix time: a sample keeps the same stored time whatever the
    // origin, so a window rebuilt after a restart puts every sample in the same query step.
    this.rings = new RingSlab(Math.floor((options.now() - 86_400_000) / 100) * 100, capacity);
    if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    // Flushes are many small transactions: checkpoint (and fsync) every 64 MiB of log, not every 4 MiB.
    this.db.pragma("wal_autocheckpoint = 16384");
    this.db.exec(SCHEMA_SQL);
    // Looked up first: after a restart most series are on disk already, and the lookup costs a
    // tenth of an upsert.
    this.findSeries = this.db.prepare("SELECT id FROM series WHERE key = ?");
    this.insertSeries = this.db.prepare("INSERT INTO series (key, metric, labels, counter) VALUES (?, ?, ?, ?)");
    // A minute already on disk is complete; one recomputed from a replay may not be.
    this.deleteOldRollups = this.db.prepare("DELETE FROM rollups WHERE minute < ?");
    this.deleteOldChunks = this.db.prepare("DELETE FROM rollup_chunks WHERE minute < ?");
    this.db.function("vigie_merge_rollups", { deterministic: true }, (old: unknown, add: unknown) => mergeChunk(old as Buffer, add as Buffer));
    this.upsertChunk = this.db.prepare("INSERT INTO rollup_chunks (chunk, minute, data) VALUES (?, ?, ?) ON CONFLICT (chunk, minute) DO UPDATE SET data = vigie_merge_rollups(data, excluded.data)");
    this.selectChunk = this.db.prepare("SELECT minute, data FROM rollup_chunks WHERE chunk = ? AND minute BETWEEN ? AND ? ORDER BY minute");
    this.legacyRollups = this.db.prepare("SELECT 1 FROM rollups LIMIT 1").get() !== undefined;
  }

  /**
   * Adds the samples of one metrics message. Points that share a series after dropped attributes are summed.
   *
   * Agents send the same shape every interval, so what each point resolved to (its series) is kept
   * per node and resource: a message whose metric names, types and point attributes are those of
   * the plan costs a comparison and an array write per point, no key building nor map lookup.
   * A changed shape re-plans that metric; a resource absent from the message loses its plan; a
   * new agent boot drops the node's plans.
   *
   * `primeOnly` (a replay's messages from just before the window): counters take the reading, so
   * that the window's first rate pairs with the same earlier reading as it did live; nothing is stored.
   */
  append(env: EnvelopeOf<"metrics">, options?: { primeOnly?: boolean }): void {
    const time = env.time;
    const prime = options?.primeOnly === true;
    const hostname = env.node.hostname;
    let node = this.plans.get(env.node.id);
    if (!node || node.bootId !== env.agent.bootId || node.hostname !== hostname) {
      node = { bootId: env.agent.bootId, hostname, generation: 0, resources: new Map() };
      this.plans.set(env.node.id, node);
    }
    const generation = ++node.generation;
    for (const r of env.payload.resources) {
      // The resource's identity among the node's plans; labels and keys are built only for new series.
      const resourceKey = resourceKeyOf(hostname, r.resource);
      let rp = node.resources.get(resourceKey);
      if (!rp) node.resources.set(resourceKey, (rp = emptyPlan(generation)));
      else if (rp.generation === generation) {
        // Two resources with the same labels in one message: their points go to the same series.
        rp = emptyPlan(generation);
      }
      const metrics = r.metrics;
      if (!planFits(rp, metrics)) {
        const fresh = this.replan(rp, metrics);
        if (node.resources.get(resourceKey) === rp) node.resources.set(resourceKey, fresh);
        rp = fresh;
      }
      rp.generation = generation;
      const { series, gens, types, pointStart, groupStart, grouped, group } = rp;
      for (let i = 0; i < metrics.length; i++) {
        const m = metrics[i] as Metric;
        const counter = types[i] === "counter";
        if (prime && !counter) continue;
        const points = m.points;
        const g0 = groupStart[i] as number;
        if (!grouped[i]) {
          for (let j = 0; j < points.length; j++) {
            let s = series[g0 + j] as number;
            if (s < 0 || this.gen[s] !== gens[g0 + j]) s = this.resolveGroup(rp, i, j, m, hostname, r.resource);
            if (s >= 0) this.recordTo(s, counter, time, (points[j] as Point).value, prime);
          }
        } else {
          const sums = this.sums;
          const groups = (groupStart[i + 1] as number) - g0;
          const p0 = pointStart[i] as number;
          for (let g = 0; g < groups; g++) sums[g] = 0;
          for (let j = 0; j < points.length; j++) {
            const g = group[p0 + j] as number;
            sums[g] = (sums[g] as number) + (points[j] as Point).value;
          }
          for (let g = 0; g < groups; g++) {
            let s = series[g0 + g] as number;
            if (s < 0 || this.gen[s] !== gens[g0 + g]) s = this.resolveGroup(rp, i, g, m, hostname, r.resource);
            if (s >= 0) this.recordTo(s, counter, time, sums[g] as number, prime);
          }
        }
      }
    }
    // Containers gone from this message: their plans go (the series stay until they age out).
    if (node.resources.size > env.payload.resources.length) {
      for (const [k, rp] of node.resources) if (rp.generation !== generation) node.resources.delete(k);
    }
  }

  /**
   * A resource's plan for a new shape: a metric that still fits the old plan at its position keeps
   * its series; the others group their points by series (after dropped attributes), resolved on first use.
   */
  private replan(old: ResourcePlan, metrics: readonly Metric[]): ResourcePlan {
    const rp = emptyPlan(old.generation);
    for (let i = 0; i < metrics.length; i++) {
      const m = metrics[i] as Metric;
      rp.names.push(m.name);
      rp.types.push(m.type);
      if (i < old.names.length && metricFits(old, i, m)) {
        const p0 = old.pointStart[i] as number;
        const g0 = old.groupStart[i] as number;
        for (let j = p0; j < (old.pointStart[i + 1] as number); j++) {
          rp.attrs.push(old.attrs[j]);
          rp.attrCounts.push(old.attrCounts[j] as number);
          rp.group.push(old.group[j] as number);
        }
        for (let g = g0; g < (old.groupStart[i + 1] as number); g++) {
          rp.series.push(old.series[g] as number);
          rp.gens.push(old.gens[g] as number);
        }
        rp.grouped.push(old.grouped[i] as boolean);
      } else {
        const byKey = new Map<string, number>();
        for (const point of m.points) {
          const a = point.attributes;
          rp.attrs.push(a);
          rp.attrCounts.push(a ? Object.keys(a).length : -1);
          const key = this.pointKey(a);
          let g = byKey.get(key);
          if (g === undefined) byKey.set(key, (g = byKey.size));
          rp.group.push(g);
        }
        const groups = byKey.size;
        if (groups > this.sums.length) this.sums = new Float64Array(Math.max(groups, 2 * this.sums.length));
        for (let g = 0; g < groups; g++) {
          rp.series.push(-1);
          rp.gens.push(0);
        }
        rp.grouped.push(groups !== m.points.length);
      }
      rp.pointStart.push(rp.attrs.length);
      rp.groupStart.push(rp.series.length);
    }
    return rp;
  }

  /** Resolves (creating it if new) the series of group `g` of metric `i`, from its first point; -1 when refused. */
  private resolveGroup(rp: ResourcePlan, i: number, g: number, m: Metric, hostname: string, resource: Attributes): number {
    const p0 = rp.pointStart[i] as number;
    const j = rp.grouped[i] ? rp.group.indexOf(g, p0) - p0 : g;
    const s = this.resolve(m.name, hostname, resource, (m.points[j] as Point).attributes, rp.types[i] === "counter");
    const at = (rp.groupStart[i] as number) + g;
    rp.series[at] = s;
    rp.gens[at] = s >= 0 ? (this.gen[s] as number) : 0;
    return s;
  }

  /** Point attributes as a key, to group the points of one metric (dropped attributes left out). */
  private pointKey(attributes: Attributes | undefined): string {
    if (!attributes) return "";
    let key = "";
    for (const k of Object.keys(attributes).sort()) if (!this.dropped.has(k)) key += `\u0000${k}=${String(attributes[k])}`;
    return key;
  }

  /**
   * The series number of a point, created if new; -1 (and counted) when the bound is reached.
   * Indexed by its canonical key: only a plan being made looks series up, so the key is built
   * once per series and plan, never per sample.
   */
  private resolve(metric: string, hostname: string, resource: Attributes, attributes: Attributes | undefined, counter: boolean): number {
    const labels = seriesLabels(hostname, resource, attributes, this.dropped);
    const key = seriesKey(metric, labels);
    let s = this.index.get(key);
    if (s === undefined) {
      if (this.index.size >= this.maxSeries) {
        this.stats.droppedSeries++;
        return -1;
      }
      s = this.allocate();
      this.keys[s] = key;
      this.metricOf[s] = metric;
      this.labelsOf[s] = labels;
      this.counterOf[s] = counter ? 1 : 0;
      this.live[s] = 1;
      this.ids[s] = 0;
      this.prevTime[s] = NaN;
      this.prevValue[s] = NaN;
      this.minutes.clear(s);
      this.rings.create(s);
      this.index.set(key, s);
      let set = this.byMetric.get(metric);
      if (!set) this.byMetric.set(metric, (set = new Set()));
      set.add(s);
      this.stats.series = this.index.size;
    }
    return s;
  }

  /** A free series number, the columns grown if needed. */
  private allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const s = this.next++;
    if (s >= this.gen.length) {
      const n = Math.max(1024, 2 * this.gen.length);
      this.counterOf = grownU8(this.counterOf, n);
      this.live = grownU8(this.live, n);
      this.gen = grownI32(this.gen, n);
      this.ids = grownI32(this.ids, n);
      this.prevTime = grownF64(this.prevTime, n);
      this.prevValue = grownF64(this.prevValue, n);
      this.minutes.ensure(n);
    }
    return s;
  }

  private recordTo(s: number, counter: boolean, time: number, value: number, prime: boolean): void {
    if (counter) {
      const prevTime = this.prevTime[s] as number;
      const prevValue = this.prevValue[s] as number;
      if (time <= prevTime) return;
      this.prevTime[s] = time;
      this.prevValue[s] = value;
      if (Number.isNaN(prevTime) || prime) return;
      const rate = counterRate(prevValue, prevTime, value, time);
      if (rate === undefined) return;
      value = rate;
    } else {
      if (prime) return;
      const last = this.rings.lastTime(s);
      if (last !== undefined && time <= last) return;
    }
    this.rings.push(s, time, value);
    this.stats.samples++;
    this.minutes.accumulate(s, time, value, this.pending);
  }

  /** Resources of a node whose series are planned (what its latest message held). */
  plannedResources(nodeId: string): number {
    return this.plans.get(nodeId)?.resources.size ?? 0;
  }

  /** Series in memory with this metric name (views made now; their samples read the live ring). */
  select(metric: string): Iterable<Series> {
    const set = this.byMetric.get(metric);
    if (!set) return [];
    const out: Series[] = [];
    for (const s of set) out.push(this.view(s));
    return out;
  }

  private view(s: number): Series {
    const rings = this.rings;
    const gen = this.gen[s] as number;
    // A view kept past the series' departure reads nothing (its number may serve another series).
    const here = () => this.gen[s] === gen;
    return {
      key: this.keys[s] as string,
      metric: this.metricOf[s] as string,
      labels: this.labelsOf[s] as Labels,
      counter: this.counterOf[s] === 1,
      ring: {
        get size() {
          return here() ? rings.size(s) : 0;
        },
        lastTime: () => (here() ? rings.lastTime(s) : undefined),
        forEach: (from, to, fn) => {
          if (here()) rings.forEach(s, from, to, fn);
        },
      },
    };
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

  /** Rollups of the given series with from <= minute <= to, by series id, oldest first. */
  rollups(ids: readonly number[], from: number, to: number): Map<number, Rollup[]> {
    const out = new Map<number, Rollup[]>();
    const chunks = new Set<number>();
    for (const id of ids) {
      out.set(id, []);
      chunks.add(Math.floor(id / CHUNK));
    }
    for (const chunk of chunks) {
      for (const row of this.selectChunk.iterate(chunk, from, to) as Iterable<{ minute: number; data: Buffer }>) {
        readEntries(row.data, row.minute, (slot, r) => out.get(chunk * CHUNK + slot)?.push(r));
      }
    }
    if (this.legacyRollups) {
      const stmt = this.db.prepare("SELECT minute, min, max, avg, last, count FROM rollups WHERE series_id = ? AND minute BETWEEN ? AND ? ORDER BY minute");
      for (const id of ids) {
        const old = stmt.all(id, from, to) as Rollup[];
        if (old.length === 0) continue;
        const rows = out.get(id) as Rollup[];
        const minutes = new Set(old.map((r) => r.minute));
        out.set(id, [...old, ...rows.filter((r) => !minutes.has(r.minute))].sort((x, y) => x.minute - y.minute));
      }
    }
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
    const minutes = this.minutes;
    const rings = this.rings;
    const live = this.live;
    let bytes = 0;
    for (let s = 0; s < this.next; s++) {
      if (live[s] !== 1) continue;
      bytes += rings.bytes(s);
      const minute = minutes.minute[s] as number;
      if (minute < quietBefore) minutes.close(s, this.pending);
      rings.trim(s, windowStart);
      const last = rings.lastTime(s) ?? (Number.isNaN(this.prevTime[s]) ? undefined : this.prevTime[s]);
      if (!minutes.running(s) && (last === undefined || last < windowStart)) this.evict(s);
    }
    this.stats.series = this.index.size;
    this.stats.sampleBytes = bytes;
    this.releaseLeft();
    this.deleteOldChunks.run(now - this.retentionMs);
    if (this.legacyRollups) this.deleteOldRollups.run(now - this.retentionMs);
  }

  /** Takes series `s` out of memory; its number is freed once its queued rollups are written. */
  private evict(s: number): void {
    const key = this.keys[s] as string;
    this.index.delete(key);
    this.byMetric.get(this.metricOf[s] as string)?.delete(s);
    this.live[s] = 0;
    this.gen[s] = ((this.gen[s] as number) + 1) | 0;
    this.rings.release(s);
    this.leaving.push(s, this.pending.queued);
  }

  /** Frees the numbers of series that left memory and whose rollups are all written. */
  private releaseLeft(): void {
    const leaving = this.leaving;
    let k = 0;
    while (k < leaving.length && (leaving[k + 1] as number) <= this.pending.taken) {
      const s = leaving[k] as number;
      this.keys[s] = undefined;
      this.labelsOf[s] = undefined;
      this.metricOf[s] = "";
      this.free.push(s);
      k += 2;
    }
    if (k > 0) leaving.splice(0, k);
  }

  /**
   * Writes finished minutes to disk in one transaction, at most `maxRows` of them and for about
   * `budgetMs` of CPU (the rest wait for the next call): SQLite is synchronous, and a large
   * cluster closes a minute for every series at once (a series' first rollup also registers the
   * series, several times dearer), so the work is spread over several calls to keep the event
   * loop free. Returns the number of rollups written.
   */
  flush(maxRows = Infinity, budgetMs = Infinity, clock: () => number = performance.now.bind(performance)): number {
    const q = this.pending;
    if (q.length === 0) return 0;
    const limit = Math.min(q.length, maxRows);
    const deadline = budgetMs === Infinity ? Infinity : clock() + budgetMs;
    let done = 0;
    this.db.transaction(() => {
      while (done < limit) {
        const end = Math.min(limit, done + 128);
        this.writeRows(q.start + done, q.start + end);
        done = end;
        if (clock() >= deadline) break;
      }
    })();
    q.shift(done);
    this.stats.rollupsWritten += done;
    this.releaseLeft();
    return done;
  }

  /** Writes queued rows [from, to): each series registered on disk if new, the rows grouped by chunk and minute. */
  private writeRows(from: number, to: number): void {
    const q = this.pending;
    const groups = new Map<number, number[]>();
    for (let k = from; k < to; k++) {
      const s = q.slot[k] as number;
      let id = this.ids[s] as number;
      if (id === 0) {
        const key = this.keys[s] as string;
        const row = this.findSeries.get(key) as { id: number } | undefined;
        id = row ? row.id : Number(this.insertSeries.run(key, this.metricOf[s], JSON.stringify(this.labelsOf[s]), this.counterOf[s]).lastInsertRowid);
        this.ids[s] = id;
      }
      // Chunk and minute as one number (minutes since 1970 stay below 2^26).
      const g = Math.floor(id / CHUNK) * 2 ** 26 + (q.minute[k] as number) / MINUTE_MS;
      let rows = groups.get(g);
      if (!rows) groups.set(g, (rows = []));
      rows.push(k);
    }
    for (const [g, rows] of groups) {
      const data = Buffer.allocUnsafe(rows.length * ENTRY_BYTES);
      const seen = new Set<number>();
      let at = 0;
      for (const k of rows) {
        const slot = (this.ids[q.slot[k] as number] as number) % CHUNK;
        // The same minute twice (closed, then a late sample reopened it): the first is kept, as on disk.
        if (seen.has(slot)) continue;
        seen.add(slot);
        at = data.writeDoubleLE(slot, at);
        at = data.writeDoubleLE(q.count[k] as number, at);
        at = data.writeDoubleLE(q.min[k] as number, at);
        at = data.writeDoubleLE(q.max[k] as number, at);
        at = data.writeDoubleLE(q.avg[k] as number, at);
        at = data.writeDoubleLE(q.last[k] as number, at);
      }
      this.upsertChunk.run(Math.floor(g / 2 ** 26), (g % 2 ** 26) * MINUTE_MS, data.subarray(0, at));
    }
  }

  /** Rollups waiting to be written. */
  get pendingRollups(): number {
    return this.pending.length;
  }

  /** Bytes held by sample storage (not counting labels and bookkeeping). */
  sampleBytes(): number {
    let n = 0;
    for (let s = 0; s < this.next; s++) if (this.live[s] === 1) n += this.rings.bytes(s);
    return n;
  }

  close(): void {
    this.db.close();
  }
}


function grownU8(a: Uint8Array, n: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(n);
  b.set(a);
  return b;
}

function grownI32(a: Int32Array, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

function grownF64(a: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}

/** Whether a resource's metrics have the names, types and point attributes its plan was made for. */
function planFits(rp: ResourcePlan, metrics: readonly Metric[]): boolean {
  if (rp.names.length !== metrics.length) return false;
  for (let i = 0; i < metrics.length; i++) if (!metricFits(rp, i, metrics[i] as Metric)) return false;
  return true;
}

/** Whether metric `m` has the name, type and point attributes metric `i` of the plan was made for. */
function metricFits(rp: ResourcePlan, i: number, m: Metric): boolean {
  if (rp.names[i] !== m.name || rp.types[i] !== m.type) return false;
  const points = m.points;
  const p0 = rp.pointStart[i] as number;
  if (points.length !== (rp.pointStart[i + 1] as number) - p0) return false;
  for (let j = 0; j < points.length; j++) {
    const a = (points[j] as Point).attributes;
    const planned = rp.attrs[p0 + j];
    if (a === planned) continue;
    if (a === undefined || planned === undefined) return false;
    let n = 0;
    for (const k in a) {
      if (!Object.hasOwn(planned, k) || planned[k] !== a[k]) return false;
      n++;
    }
    if (n !== rp.attrCounts[p0 + j]) return false;
  }
  return true;
}

/** A resource's identity among a node's plans: its hostname and bounded labels, in a fixed order. */
function resourceKeyOf(hostname: string, resource: Attributes): string {
  let key = hostname;
  for (let i = 0; i < RESOURCE_LABELS.length; i++) {
    const v = resource[RESOURCE_LABELS[i] as string];
    // The label's position goes with its value: resources lacking different labels stay apart.
    if (v !== undefined) key += `\u0001${i}${String(v)}`;
  }
  return key;
}
