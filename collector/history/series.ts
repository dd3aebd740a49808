import { ATTR, type Attributes } from "../../protocol/index.js";

/** Resource attributes that become labels of a container's series (bounded: no ids). */
export const RESOURCE_LABELS: readonly string[] = [
  ATTR.containerName,
  ATTR.containerImageName,
  ATTR.serviceName,
  ATTR.serviceNamespace,
  ATTR.swarmServiceName,
  ATTR.swarmTaskSlot,
];

/**
 * Labels only the message's hostname and its resource may set, never a point's attributes: a
 * point saying `service.namespace="shop"` must not put another stack's (or a host's) samples
 * before a token limited to `shop`, nor `node` count them against another node. A point's
 * attributes by these names are summed away like dropped attributes.
 */
export const RESERVED_LABELS: readonly string[] = ["node", ...RESOURCE_LABELS];

/** Point attributes summed away in history by default: per-core CPU would multiply the series by the core count. */
export const DEFAULT_DROPPED_ATTRIBUTES: readonly string[] = [ATTR.cpuLogicalNumber];

export type Labels = Record<string, string>;

/** Labels of one point's series: `node` (hostname), the resource's bounded attributes, the point's attributes (less `dropped`, which holds `RESERVED_LABELS`). */
export function seriesLabels(hostname: string, resource: Attributes, point: Attributes | undefined, dropped: ReadonlySet<string>): Labels {
  const labels: Labels = { node: hostname };
  for (const k of RESOURCE_LABELS) {
    const v = resource[k];
    if (v !== undefined) labels[k] = String(v);
  }
  if (point) for (const [k, v] of Object.entries(point)) if (!dropped.has(k)) labels[k] = String(v);
  return labels;
}

export function seriesKey(metric: string, labels: Labels): string {
  // Joined, not concatenated: a key built with += is a tree of string pieces until something
  // flattens it, several times its size, and the key is kept for the series' lifetime.
  const parts = [metric];
  for (const k of Object.keys(labels).sort()) parts.push(`${k}=${labels[k]}`);
  return parts.join("\u0000");
}
