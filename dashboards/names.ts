import { ATTR, CONTAINER_RESOURCE_LABELS, EXPOSITION_FAMILIES, EXPOSITION_MAPPING, METRIC } from "../protocol/index.js";

/**
 * The metric names the dashboards query, read off the exposition's table (protocol/exposition.ts)
 * so that a renamed family breaks the build of the dashboards, not a panel in production.
 */

type When = Readonly<Record<string, string | readonly string[]>>;

/** The Prometheus name of the table row for an OTel metric (and its `when` filter, if the row has one). */
function mapped(otel: string, when?: When): string {
  const key = JSON.stringify(when ?? null);
  const row = EXPOSITION_MAPPING.find((r) => r.otel === otel && JSON.stringify(r.when ?? null) === key);
  if (!row) throw new Error(`no exposition row for ${otel} ${key}`);
  return row.prom;
}

const M = METRIC;
const A = ATTR;
const F = EXPOSITION_FAMILIES;

export const N = {
  // node_exporter's
  cpu: mapped(M.cpuTime),
  load1: mapped(M.loadAverage1m),
  load5: mapped(M.loadAverage5m),
  load15: mapped(M.loadAverage15m),
  memTotal: mapped(M.memoryLimit),
  memAvailable: mapped(M.memoryAvailable),
  memCached: mapped(M.memoryUsage, { [A.memoryState]: "cached" }),
  memBuffers: mapped(M.memoryUsage, { [A.memoryState]: "buffers" }),
  swapTotal: mapped(M.pagingUsage, { [A.pagingState]: ["used", "free"] }),
  swapFree: mapped(M.pagingUsage, { [A.pagingState]: "free" }),
  fsSize: mapped(M.filesystemLimit),
  fsAvail: mapped(M.filesystemUsage, { [A.filesystemState]: "free" }),
  diskRead: mapped(M.diskIo, { [A.diskIoDirection]: "read" }),
  diskWritten: mapped(M.diskIo, { [A.diskIoDirection]: "write" }),
  netReceive: mapped(M.networkIo, { [A.networkIoDirection]: "receive" }),
  netTransmit: mapped(M.networkIo, { [A.networkIoDirection]: "transmit" }),
  bootTime: mapped(M.bootTime),
  // cAdvisor's
  containerCpu: mapped(M.containerCpuTotalTime),
  containerWorkingSet: mapped(M.containerMemoryWorkingSet),
  containerMemoryLimit: mapped(M.containerMemoryLimit),
  containerOom: mapped(M.containerOomKills),
  containerRestarts: mapped(M.containerRestarts),
  containerHealth: mapped(M.containerHealth),
  containerState: mapped(M.containerState),
  containerLastSeen: F.containerLastSeen.name,
} as const;

/** The computed families (probe_*, vigie_*), by their key in the table. */
export const FAMILY = Object.fromEntries(Object.entries(F).map(([k, f]) => [k, f.name])) as { readonly [K in keyof typeof F]: (typeof F)[K]["name"] };

/** cAdvisor's labels for a container's Swarm service and stack. */
const label = (attr: string): string => {
  const found = Object.entries(CONTAINER_RESOURCE_LABELS).find(([, a]) => a === attr)?.[0];
  if (!found) throw new Error(`no container label for ${attr}`);
  return found;
};
export const CONTAINER_LABEL = { service: label(A.swarmServiceName), stack: label(A.serviceNamespace), name: label(A.containerName) } as const;

/** Every name a dashboard may query: the table's rows and families. */
export function exposedNames(): Set<string> {
  return new Set([...EXPOSITION_MAPPING.map((r) => r.prom), ...Object.values(F).map((f) => f.name)]);
}
