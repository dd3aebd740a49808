import { ATTR, type Attributes, type EnvelopeOf, type Metric } from "../../protocol/index.js";

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
   * carried no container at all (the container source failed once); when a message carries
   * containers, the ones it lacks are gone at once. Default 3.
   */
  containerStaleIntervals?: number;
  /** Interval assumed before two messages were seen (ms). Default 10 s. */
  defaultIntervalMs?: number;
}

/** The current value of every series, per node: what the exposition and the API's lists read. */
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
    if (prev && env.time <= prev.time) return;
    let host = prev?.host;
    const fresh = new Map<string, ResourceSnapshot>();
    for (const r of env.payload.resources) {
      const id = r.resource[ATTR.containerId] ?? r.resource[ATTR.containerName];
      const snap = { resource: r.resource, metrics: r.metrics, time: env.time };
      if (id === undefined) host = snap;
      else fresh.set(String(id), snap);
    }
    let intervalMs = prev?.intervalMs;
    if (prev) {
      const delta = env.time - prev.time;
      intervalMs = intervalMs === undefined ? delta : Math.round(intervalMs * 0.7 + delta * 0.3);
    }
    let containers: Map<string, ResourceSnapshot> = fresh;
    if (fresh.size === 0 && prev && prev.containers.size > 0) {
      const ttl = this.staleIntervals * (intervalMs ?? this.defaultIntervalMs);
      containers = new Map([...prev.containers].filter(([, c]) => env.time - c.time < ttl));
    }
    this.byNode.set(env.node.id, { nodeId: env.node.id, hostname: env.node.hostname, time: env.time, intervalMs, host, containers });
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
