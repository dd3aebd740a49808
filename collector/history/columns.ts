import { counterRate } from "./rate.js";
import { RingSlab } from "./ring.js";
import { MinuteSlab, type RollupQueue } from "./rollup.js";
import type { Labels } from "./series.js";

/**
 * What the history holds per series in memory, in columns indexed by the series' number: its
 * identity, its last counter reading, its samples (`rings`) and its running minute (`minutes`).
 * Columns rather than an object per series, so that a million series are a few hundred arrays
 * for the garbage collector to mark, not tens of millions of objects.
 *
 * A number is reused once its series left memory and the rollups queued for it were written;
 * `gen` moves when a series leaves, so that whoever kept a number can tell it no longer names
 * the same series.
 */
export class SeriesColumns {
  /** Series number by canonical key. */
  readonly index = new Map<string, number>();
  /** Series numbers by metric name. */
  readonly byMetric = new Map<string, Set<number>>();
  /** Series in memory by their `node` label (the message's hostname: no point attribute sets it, see `RESERVED_LABELS`), for the bound per node. */
  private readonly perNode = new Map<string, number>();
  /** Per number: canonical key, metric and labels (undefined / "": number free). */
  keys: (string | undefined)[] = [];
  metricOf: string[] = [];
  labelsOf: (Labels | undefined)[] = [];
  /** Per number: 1 for a counter; 1 while in memory; generation; disk id (0: not known yet). */
  counterOf = new Uint8Array(0);
  live = new Uint8Array(0);
  gen = new Int32Array(0);
  ids = new Int32Array(0);
  /** Last cumulative reading of a counter (time, value), to derive the next rate; NaN before the first. */
  prevTime = new Float64Array(0);
  prevValue = new Float64Array(0);
  readonly rings: RingSlab;
  readonly minutes = new MinuteSlab();
  /** Numbers never used yet start here; every number in use is below it. */
  end = 0;
  private readonly free: number[] = [];
  /** Series that left memory while rollups of theirs may still wait: [number, rows queued then], … */
  private readonly leaving: number[] = [];

  /** `origin` and `capacity` are the sample rings' (see `RingSlab`). */
  constructor(origin: number, capacity: number) {
    this.rings = new RingSlab(origin, capacity);
  }

  /** Series in memory. */
  get size(): number {
    return this.index.size;
  }

  /** Series in memory labelled with this node (hostname). */
  nodeSeries(node: string): number {
    return this.perNode.get(node) ?? 0;
  }

  /** Takes a number for a new series, with no samples, no counter reading and no running minute. */
  add(key: string, metric: string, labels: Labels, counter: boolean): number {
    const s = this.allocate();
    this.perNode.set(labels.node ?? "", this.nodeSeries(labels.node ?? "") + 1);
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
    return s;
  }

  /**
   * Adds a reading to series `s`: a counter's as the rate since its previous reading, a gauge's
   * as is. Readings not newer than the series' last are ignored (redeliveries). A finished minute
   * goes to `done`. `prime` only takes a counter's reading. Returns whether a sample was stored.
   */
  record(s: number, counter: boolean, time: number, value: number, prime: boolean, done: RollupQueue): boolean {
    if (counter) {
      const prevTime = this.prevTime[s] as number;
      const prevValue = this.prevValue[s] as number;
      if (time <= prevTime) return false;
      this.prevTime[s] = time;
      this.prevValue[s] = value;
      if (Number.isNaN(prevTime) || prime) return false;
      const rate = counterRate(prevValue, prevTime, value, time);
      if (rate === undefined) return false;
      value = rate;
    } else {
      if (prime) return false;
      const last = this.rings.lastTime(s);
      if (last !== undefined && time <= last) return false;
    }
    this.rings.push(s, time, value);
    this.minutes.accumulate(s, time, value, done);
    return true;
  }

  /** Newest time series `s` was seen at: its last sample, or a counter's last reading. */
  lastSeen(s: number): number | undefined {
    const last = this.rings.lastTime(s);
    if (last !== undefined) return last;
    const t = this.prevTime[s] as number;
    return Number.isNaN(t) ? undefined : t;
  }

  /**
   * Takes series `s` out of memory (no longer found by key or metric, samples freed). Its number
   * is kept until `queued` rollup rows have been written, since some of them may be its own.
   */
  evict(s: number, queued: number): void {
    this.index.delete(this.keys[s] as string);
    this.byMetric.get(this.metricOf[s] as string)?.delete(s);
    const node = this.labelsOf[s]?.node ?? "";
    const left = this.nodeSeries(node) - 1;
    if (left > 0) this.perNode.set(node, left);
    else this.perNode.delete(node);
    this.live[s] = 0;
    this.gen[s] = ((this.gen[s] as number) + 1) | 0;
    this.rings.release(s);
    this.leaving.push(s, queued);
  }

  /** Frees the numbers of series that left memory, now that `taken` rollup rows have been written. */
  release(taken: number): void {
    const leaving = this.leaving;
    let k = 0;
    while (k < leaving.length && (leaving[k + 1] as number) <= taken) {
      const s = leaving[k] as number;
      this.keys[s] = undefined;
      this.labelsOf[s] = undefined;
      this.metricOf[s] = "";
      this.free.push(s);
      k += 2;
    }
    if (k > 0) leaving.splice(0, k);
  }

  /** A free number, the columns grown if needed. */
  private allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const s = this.end++;
    if (s >= this.gen.length) {
      const n = Math.max(1024, 2 * this.gen.length);
      this.counterOf = grown(this.counterOf, new Uint8Array(n));
      this.live = grown(this.live, new Uint8Array(n));
      this.gen = grown(this.gen, new Int32Array(n));
      this.ids = grown(this.ids, new Int32Array(n));
      this.prevTime = grown(this.prevTime, new Float64Array(n));
      this.prevValue = grown(this.prevValue, new Float64Array(n));
      this.minutes.ensure(n);
    }
    return s;
  }
}

function grown<T extends Uint8Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
