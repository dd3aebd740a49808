import { type Attributes, type EnvelopeOf, type Metric, type ResourceMetrics } from "../../protocol/index.js";
import { containerKey } from "../model/resources.js";

/** What one resource (the host, or one container) said in its latest message. */
export interface ResourceSnapshot {
  resource: Attributes;
  metrics: Metric[];
  /** When it was sampled (Unix ms). */
  time: number;
}

/**
 * The latest metrics of one node. Replaced (never mutated) on every message, so readers may
 * cache what they derive from it by object identity.
 */
export interface NodeMetrics {
  nodeId: string;
  hostname: string;
  /** The agent boot that sent it: sample times are ordered within one boot only. */
  bootId?: string;
  /** Sample time of the latest message (Unix ms). */
  time: number;
  /** Observed sampling interval (ms), smoothed; undefined until two messages were seen. */
  intervalMs?: number;
  host?: ResourceSnapshot;
  /** By container id (or name when the id is missing). */
  containers: ReadonlyMap<string, ResourceSnapshot>;
}

export interface LatestOptions {
  /**
   * A container absent from newer messages is dropped after this many intervals when the message
   * carried no container at all and did not say its list was complete (an older agent, or its
   * engine down or its container source failed this cycle); when a message carries containers, or
   * says it holds them all, the ones it lacks are gone at once. Default 3.
   */
  containerStaleIntervals?: number;
  /** Interval assumed before two messages were seen (ms). Default 10 s. */
  defaultIntervalMs?: number;
}

/**
 * The current value of every series, per node: what the exposition and the API's lists read.
 *
 * Kept compact: a resource's values in one Float64Array, beside its layout (names, types, units,
 * attributes) shared with the message before whenever they agree, which is nearly always. Holding
 * every node's latest parsed message instead kept ~0.5 MB of small objects per node of 50
 * containers alive in the old generation, replaced every interval — at 1,000 nodes, the bulk of
 * the collector's garbage collection.
 */
export class LatestMetrics {
  private readonly byNode = new Map<string, NodeMetrics>();
  private readonly staleIntervals: number;
  private readonly defaultIntervalMs: number;

  constructor(options: LatestOptions = {}) {
    this.staleIntervals = options.containerStaleIntervals ?? 3;
    this.defaultIntervalMs = options.defaultIntervalMs ?? 10_000;
  }

  /** Applies one metrics message; an older message than the one held (a redelivery) is ignored. */
  apply(env: EnvelopeOf<"metrics">): void {
    const prev = this.byNode.get(env.node.id);
    const sameBoot = prev !== undefined && prev.bootId === env.agent.bootId;
    if (prev && sameBoot && env.time <= prev.time) return;
    let host = prev?.host;
    const fresh = new Map<string, ResourceSnapshot>();
    for (const r of env.payload.resources) {
      const id = containerKey(r.resource);
      if (id === undefined) host = snapshot(r, env.time, host);
      else fresh.set(id, snapshot(r, env.time, prev?.containers.get(id)));
    }
    let intervalMs = prev?.intervalMs;
    if (prev && sameBoot) {
      const delta = env.time - prev.time;
      intervalMs = intervalMs === undefined ? delta : Math.round(intervalMs * 0.7 + delta * 0.3);
    }
    let containers: Map<string, ResourceSnapshot> = fresh;
    if (fresh.size === 0 && prev && prev.containers.size > 0 && env.payload.containersComplete !== true) {
      const ttl = this.staleIntervals * (intervalMs ?? this.defaultIntervalMs);
      containers = new Map([...prev.containers].filter(([, c]) => env.time - c.time < ttl));
    }
    this.byNode.set(env.node.id, { nodeId: env.node.id, hostname: env.node.hostname, bootId: env.agent.bootId, time: env.time, intervalMs, host, containers });
  }

  get(nodeId: string): NodeMetrics | undefined {
    return this.byNode.get(nodeId);
  }

  nodes(): IterableIterator<NodeMetrics> {
    return this.byNode.values();
  }

  get size(): number {
    return this.byNode.size;
  }

  forget(nodeId: string): void {
    this.byNode.delete(nodeId);
  }
}

/** What a resource's metrics are apart from their values. */
interface MetricLayout {
  readonly name: string;
  readonly type: Metric["type"];
  readonly unit: string;
  /** One entry per point. */
  readonly attributes: readonly (Attributes | undefined)[];
}

/** A resource's latest metrics: the values, and the layout they fill in. */
class CompactSnapshot implements ResourceSnapshot {
  constructor(
    readonly resource: Attributes,
    readonly layout: readonly MetricLayout[],
    private readonly values: Float64Array,
    readonly time: number,
  ) {}

  /** Made afresh on each read (readers use it once: the exposition caches its text). */
  get metrics(): Metric[] {
    let i = 0;
    return this.layout.map((m) => ({
      name: m.name,
      type: m.type,
      unit: m.unit,
      points: m.attributes.map((attributes) => {
        const value = this.values[i++] as number;
        return attributes === undefined ? { value } : { attributes, value };
      }),
    }));
  }
}

/** A snapshot of `r`, sharing the layout and resource attributes of `prev` when they are the same. */
function snapshot(r: ResourceMetrics, time: number, prev: ResourceSnapshot | undefined): CompactSnapshot {
  const metrics = r.metrics;
  let n = 0;
  for (const m of metrics) n += m.points.length;
  const values = new Float64Array(n);
  let i = 0;
  for (const m of metrics) for (const p of m.points) values[i++] = p.value;
  const before = prev instanceof CompactSnapshot ? prev : undefined;
  const layout =
    before && sameLayout(before.layout, metrics)
      ? before.layout
      : metrics.map((m) => ({ name: m.name, type: m.type, unit: m.unit, attributes: m.points.map((p) => p.attributes) }));
  const resource = before && sameAttributes(before.resource, r.resource) ? before.resource : r.resource;
  return new CompactSnapshot(resource, layout, values, time);
}

function sameLayout(layout: readonly MetricLayout[], metrics: readonly Metric[]): boolean {
  if (layout.length !== metrics.length) return false;
  for (let i = 0; i < metrics.length; i++) {
    const l = layout[i] as MetricLayout;
    const m = metrics[i] as Metric;
    if (l.name !== m.name || l.type !== m.type || l.unit !== m.unit || l.attributes.length !== m.points.length) return false;
    for (let j = 0; j < m.points.length; j++) if (!sameAttributes(l.attributes[j], (m.points[j] as Metric["points"][number]).attributes)) return false;
  }
  return true;
}

function sameAttributes(a: Attributes | undefined, b: Attributes | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  let n = 0;
  for (const k in b) {
    if (a[k] !== b[k]) return false;
    n++;
  }
  for (const k in a) if (--n < 0 || !(k in b)) return false;
  return n === 0;
}
