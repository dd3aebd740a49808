import type { Attributes, Metric } from "../../protocol/index.js";
import { RESOURCE_LABELS } from "./series.js";

type Point = Metric["points"][number];

/**
 * What the points of one resource's metrics resolved to, valid while the message has the same
 * shape. Flat arrays per resource rather than objects per metric, since a large cluster has a
 * plan for every one of its containers. Metric `i` has points pointStart[i]…pointStart[i+1]-1
 * and groups (series) groupStart[i]…groupStart[i+1]-1.
 */
export interface ResourcePlan {
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

/** The plans of one node's resources, for one agent boot. */
export interface NodePlan {
  bootId: string;
  hostname: string;
  /** Messages seen from this boot. */
  generation: number;
  /** By the resource's labels (`resourceKeyOf`). */
  resources: Map<string, ResourcePlan>;
}

function emptyPlan(generation: number): ResourcePlan {
  return { generation, names: [], types: [], pointStart: [0], groupStart: [0], grouped: [], attrs: [], attrCounts: [], group: [], series: [], gens: [] };
}

/** Every node's plans, by node id. */
export class NodePlans {
  private readonly nodes = new Map<string, NodePlan>();

  /**
   * The node's plans for its next message, its generation counted. A new agent boot or hostname
   * starts from none: what the series were called may have changed with it.
   */
  next(nodeId: string, bootId: string, hostname: string): NodePlan {
    let node = this.nodes.get(nodeId);
    if (!node || node.bootId !== bootId || node.hostname !== hostname) {
      node = { bootId, hostname, generation: 0, resources: new Map() };
      this.nodes.set(nodeId, node);
    }
    node.generation++;
    return node;
  }

  /** Resources planned for a node (what its latest message held). */
  resources(nodeId: string): number {
    return this.nodes.get(nodeId)?.resources.size ?? 0;
  }
}

/**
 * The plan for one resource of the node's current message, made anew where the shape changed.
 * Series stay unresolved (-1) in a new plan; the caller resolves them on first use.
 */
export function resourcePlan(node: NodePlan, resourceKey: string, metrics: readonly Metric[], dropped: ReadonlySet<string>): ResourcePlan {
  const generation = node.generation;
  let rp = node.resources.get(resourceKey);
  if (!rp) node.resources.set(resourceKey, (rp = emptyPlan(generation)));
  else if (rp.generation === generation) {
    // Two resources with the same labels in one message: their points go to the same series. The
    // second is planned afresh each time, its plan not kept, so the first keeps its own.
    rp = emptyPlan(generation);
  }
  if (!planFits(rp, metrics)) {
    const fresh = replan(rp, metrics, dropped);
    if (node.resources.get(resourceKey) === rp) node.resources.set(resourceKey, fresh);
    rp = fresh;
  }
  rp.generation = generation;
  return rp;
}

/** Drops the plans of resources the node's current message did not hold (their series stay until they age out). */
export function dropAbsent(node: NodePlan, resourcesInMessage: number): void {
  if (node.resources.size <= resourcesInMessage) return;
  for (const [k, rp] of node.resources) if (rp.generation !== node.generation) node.resources.delete(k);
}

/**
 * A resource's plan for a new shape: a metric that still fits the old plan at its position keeps
 * its series; the others group their points by series (after dropped attributes), resolved on first use.
 */
export function replan(old: ResourcePlan, metrics: readonly Metric[], dropped: ReadonlySet<string>): ResourcePlan {
  const rp = emptyPlan(old.generation);
  for (let i = 0; i < metrics.length; i++) {
    const m = metrics[i] as Metric;
    rp.names.push(m.name);
    rp.types.push(m.type);
    if (i < old.names.length && metricFits(old, i, m)) {
      for (let j = old.pointStart[i] as number; j < (old.pointStart[i + 1] as number); j++) {
        rp.attrs.push(old.attrs[j]);
        rp.attrCounts.push(old.attrCounts[j] as number);
        rp.group.push(old.group[j] as number);
      }
      for (let g = old.groupStart[i] as number; g < (old.groupStart[i + 1] as number); g++) {
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
        const key = pointKey(a, dropped);
        let g = byKey.get(key);
        if (g === undefined) byKey.set(key, (g = byKey.size));
        rp.group.push(g);
      }
      for (let g = 0; g < byKey.size; g++) {
        rp.series.push(-1);
        rp.gens.push(0);
      }
      rp.grouped.push(byKey.size !== m.points.length);
    }
    rp.pointStart.push(rp.attrs.length);
    rp.groupStart.push(rp.series.length);
  }
  return rp;
}

/** Index in metric `i`'s points of the first point of group `g` (the one its series is named from). */
export function firstPointOf(rp: ResourcePlan, i: number, g: number): number {
  const p0 = rp.pointStart[i] as number;
  return rp.grouped[i] ? rp.group.indexOf(g, p0) - p0 : g;
}

/** Whether a resource's metrics have the names, types and point attributes its plan was made for. */
export function planFits(rp: ResourcePlan, metrics: readonly Metric[]): boolean {
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

/** Point attributes as a key, to group the points of one metric (dropped attributes left out). */
export function pointKey(attributes: Attributes | undefined, dropped: ReadonlySet<string>): string {
  if (!attributes) return "";
  let key = "";
  for (const k of Object.keys(attributes).sort()) if (!dropped.has(k)) key += `\u0000${k}=${String(attributes[k])}`;
  return key;
}

/** A resource's identity among a node's plans: its hostname and bounded labels, in a fixed order. */
export function resourceKeyOf(hostname: string, resource: Attributes): string {
  let key = hostname;
  for (let i = 0; i < RESOURCE_LABELS.length; i++) {
    const v = resource[RESOURCE_LABELS[i] as string];
    // The label's position goes with its value: resources lacking different labels stay apart.
    if (v !== undefined) key += `\u0001${i}${String(v)}`;
  }
  return key;
}
