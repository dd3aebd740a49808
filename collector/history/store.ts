import type { Attributes, EnvelopeOf, Metric } from "../../protocol/index.js";
import { SeriesColumns } from "./columns.js";
import { sweep } from "./eviction.js";
import { dropAbsent, firstPointOf, NodePlans, resourceKeyOf, resourcePlan, type ResourcePlan } from "./plan.js";
import { RollupQueue, type Rollup } from "./rollup.js";
import { ROLLUP_TIME_END, RollupDb, type StoredSeries } from "./rollup-db.js";
import { DEFAULT_DROPPED_ATTRIBUTES, RESERVED_LABELS, seriesKey, seriesLabels, type Labels } from "./series.js";

export interface HistoryOptions {
  /** How long samples are kept at full resolution, in memory (ms). Default 1 h. */
  windowMs?: number;
  /** Expected sampling interval (ms); sizes each series' ring (window / interval samples). Default 10 s. */
  intervalMs?: number;
  /** How long 1-minute rollups are kept on disk (ms). Default 7 days. */
  retentionMs?: number;
  /** Most series held in memory; samples of further series are dropped and counted. Default 500 000. */
  maxSeries?: number;
  /**
   * Most series held in memory for one node (by hostname), so that one agent sending ever-new
   * attribute values cannot take the whole of `maxSeries` from the others; further ones are dropped
   * and counted. A node of 500 containers has about 15,000. Default 50 000 (at most `maxSeries`).
   */
  maxSeriesPerNode?: number;
  /** Point attributes summed away (default: `cpu.logical_number`); those named like `RESERVED_LABELS` always are. */
  droppedAttributes?: readonly string[];
}

export const HISTORY_DEFAULTS = { windowMs: 3_600_000, intervalMs: 10_000, retentionMs: 7 * 86_400_000, maxSeries: 500_000, maxSeriesPerNode: 50_000 } as const;

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

export interface HistoryStats {
  series: number;
  samples: number;
  /** Times a new series was refused by `maxSeries` or `maxSeriesPerNode` (once per message that carried it). */
  droppedSeries: number;
  /** Messages refused whole because their sample time cannot be stored (see `append`). */
  refusedTimes: number;
  rollupsWritten: number;
  /** Bytes of sample arrays, as of the last `maintain()`. */
  sampleBytes: number;
}

/**
 * Metrics history: every series at sample resolution for a window, in memory, and as 1-minute
 * rollups (min, max, avg, last) on SQLite for the retention. Rollups are written in batches by
 * `flush()` — per message would cost a disk write per sample — so the minutes not yet flushed
 * when the collector stops are rebuilt from the JetStream stream on the next start.
 *
 * The parts: what each point of a node's message resolves to (`plan.ts`), what is held per series
 * in memory (`columns.ts`, `ring.ts`, `rollup.ts`), which series leave memory (`eviction.ts`),
 * and the rollups on disk (`rollup-db.ts`, `rollup-chunks.ts`).
 */
export class MetricsHistory {
  readonly stats: HistoryStats = { series: 0, samples: 0, droppedSeries: 0, refusedTimes: 0, rollupsWritten: 0, sampleBytes: 0 };
  readonly windowMs: number;
  /** Expected sampling interval (ms). */
  readonly intervalMs: number;
  readonly retentionMs: number;
  private readonly maxSeries: number;
  private readonly maxSeriesPerNode: number;
  private readonly dropped: ReadonlySet<string>;
  private readonly plans = new NodePlans();
  private readonly columns: SeriesColumns;
  /** Finished minutes waiting for `flush()`. */
  private readonly pending = new RollupQueue();
  /** Scratch for the sums of a grouped metric. */
  private sums = new Float64Array(64);
  private readonly db: RollupDb;

  constructor(file: string, options: HistoryOptions & { now: () => number }) {
    this.windowMs = options.windowMs ?? HISTORY_DEFAULTS.windowMs;
    this.intervalMs = options.intervalMs ?? HISTORY_DEFAULTS.intervalMs;
    this.retentionMs = options.retentionMs ?? HISTORY_DEFAULTS.retentionMs;
    this.maxSeries = options.maxSeries ?? HISTORY_DEFAULTS.maxSeries;
    this.maxSeriesPerNode = Math.min(this.maxSeries, options.maxSeriesPerNode ?? HISTORY_DEFAULTS.maxSeriesPerNode);
    this.dropped = new Set([...(options.droppedAttributes ?? DEFAULT_DROPPED_ATTRIBUTES), ...RESERVED_LABELS]);
    const capacity = Math.max(2, Math.ceil(this.windowMs / this.intervalMs) + 1);
    // Sample times are stored relative to this origin (32-bit deciseconds reach ±6.8 years), on a
    // grid of whole deciseconds of Unix time: a sample keeps the same stored time whatever the
    // origin, so a window rebuilt after a restart puts every sample in the same query step.
    this.columns = new SeriesColumns(Math.floor((options.now() - 86_400_000) / 100) * 100, capacity);
    this.db = new RollupDb(file);
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
    // The clock-skew policy keeps such times out before they get here (`ingest/clock.ts`); were one
    // stored, the rings would keep it wrapped round to some other time, where it could freeze its
    // series (later samples look older), and its minute would have no rollup row.
    if (!(time >= 0 && time < ROLLUP_TIME_END && this.columns.rings.holds(time))) {
      this.stats.refusedTimes++;
      return;
    }
    const prime = options?.primeOnly === true;
    const hostname = env.node.hostname;
    const columns = this.columns;
    const node = this.plans.next(env.node.id, env.agent.bootId, hostname);
    for (const r of env.payload.resources) {
      // The resource's identity among the node's plans; labels and keys are built only for new series.
      const rp = resourcePlan(node, resourceKeyOf(hostname, r.resource), r.metrics, this.dropped);
      const metrics = r.metrics;
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
            if (s < 0 || columns.gen[s] !== gens[g0 + j]) s = this.resolveGroup(rp, i, j, m, hostname, r.resource);
            if (s >= 0 && columns.record(s, counter, time, (points[j] as Point).value, prime, this.pending)) this.stats.samples++;
          }
        } else {
          const groups = (groupStart[i + 1] as number) - g0;
          if (groups > this.sums.length) this.sums = new Float64Array(Math.max(groups, 2 * this.sums.length));
          const sums = this.sums;
          const p0 = pointStart[i] as number;
          for (let g = 0; g < groups; g++) sums[g] = 0;
          for (let j = 0; j < points.length; j++) {
            const g = group[p0 + j] as number;
            sums[g] = (sums[g] as number) + (points[j] as Point).value;
          }
          for (let g = 0; g < groups; g++) {
            let s = series[g0 + g] as number;
            if (s < 0 || columns.gen[s] !== gens[g0 + g]) s = this.resolveGroup(rp, i, g, m, hostname, r.resource);
            if (s >= 0 && columns.record(s, counter, time, sums[g] as number, prime, this.pending)) this.stats.samples++;
          }
        }
      }
    }
    // Containers gone from this message: their plans go (the series stay until they age out).
    dropAbsent(node, env.payload.resources.length);
  }

  /** Resolves (creating it if new) the series of group `g` of metric `i`, from its first point; -1 when refused. */
  private resolveGroup(rp: ResourcePlan, i: number, g: number, m: Metric, hostname: string, resource: Attributes): number {
    const point = m.points[firstPointOf(rp, i, g)] as Point;
    const s = this.resolve(m.name, hostname, resource, point.attributes, rp.types[i] === "counter");
    const at = (rp.groupStart[i] as number) + g;
    rp.series[at] = s;
    rp.gens[at] = s >= 0 ? (this.columns.gen[s] as number) : 0;
    return s;
  }

  /**
   * The series number of a point, created if new; -1 (and counted) when a bound is reached.
   * Indexed by its canonical key: only a plan being made looks series up, so the key is built
   * once per series and plan, never per sample.
   */
  private resolve(metric: string, hostname: string, resource: Attributes, attributes: Attributes | undefined, counter: boolean): number {
    const labels = seriesLabels(hostname, resource, attributes, this.dropped);
    const key = seriesKey(metric, labels);
    const known = this.columns.index.get(key);
    if (known !== undefined) return known;
    if (this.columns.size >= this.maxSeries || this.columns.nodeSeries(hostname) >= this.maxSeriesPerNode) {
      this.stats.droppedSeries++;
      return -1;
    }
    const s = this.columns.add(key, metric, labels, counter);
    this.stats.series = this.columns.size;
    return s;
  }

  /** Resources of a node whose series are planned (what its latest message held). */
  plannedResources(nodeId: string): number {
    return this.plans.resources(nodeId);
  }

  /** Series in memory with this metric name (views made now; their samples read the live ring). */
  select(metric: string): Iterable<Series> {
    const set = this.columns.byMetric.get(metric);
    if (!set) return [];
    const out: Series[] = [];
    for (const s of set) out.push(this.view(s));
    return out;
  }

  private view(s: number): Series {
    const columns = this.columns;
    const rings = columns.rings;
    const gen = columns.gen[s] as number;
    // A view kept past the series' departure reads nothing (its number may serve another series).
    const here = () => columns.gen[s] === gen;
    return {
      key: columns.keys[s] as string,
      metric: columns.metricOf[s] as string,
      labels: columns.labelsOf[s] as Labels,
      counter: columns.counterOf[s] === 1,
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
    return [...this.columns.byMetric.keys()].sort();
  }

  /** Series ever stored on disk for this metric (including those no longer in memory). */
  storedSeries(metric: string): StoredSeries[] {
    return this.db.storedSeries(metric);
  }

  /** Rollups of the given series with from <= minute <= to, by series id, oldest first. */
  rollups(ids: readonly number[], from: number, to: number): Map<number, Rollup[]> {
    return this.db.rollups(ids, from, to);
  }

  /**
   * Closes the minutes of series that went quiet, trims samples older than the window, forgets
   * series idle for a whole window, and deletes rollups past the retention. Walks every series:
   * call it every few seconds, not per message.
   */
  maintain(now: number): void {
    this.stats.sampleBytes = sweep(this.columns, this.pending, now, this.windowMs);
    this.stats.series = this.columns.size;
    this.columns.release(this.pending.taken);
    this.db.deleteBefore(now - this.retentionMs);
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
        this.db.write(q, q.start + done, q.start + end, this.diskId);
        done = end;
        if (clock() >= deadline) break;
      }
    });
    q.shift(done);
    this.stats.rollupsWritten += done;
    this.columns.release(q.taken);
    return done;
  }

  /** The disk id of series number `s`, registering the series on its first rollup. */
  private readonly diskId = (s: number): number => {
    const c = this.columns;
    let id = c.ids[s] as number;
    if (id === 0) {
      id = this.db.seriesId(c.keys[s] as string, c.metricOf[s] as string, c.labelsOf[s] as Labels, c.counterOf[s] === 1);
      c.ids[s] = id;
    }
    return id;
  };

  /** Rollups waiting to be written. */
  get pendingRollups(): number {
    return this.pending.length;
  }

  /** Bytes held by sample storage (not counting labels and bookkeeping). */
  sampleBytes(): number {
    const { live, rings, end } = this.columns;
    let n = 0;
    for (let s = 0; s < end; s++) if (live[s] === 1) n += rings.bytes(s);
    return n;
  }

  /** Series in memory whose samples are kept as float64 (a value float32 would have changed; see `needsFloat64`). */
  wideSeries(): number {
    const { live, rings, end } = this.columns;
    let n = 0;
    for (let s = 0; s < end; s++) if (live[s] === 1 && rings.wide(s)) n++;
    return n;
  }

  close(): void {
    this.db.close();
  }
}
