import { ATTR, METRIC, type Metric } from "../../protocol/index.js";
import { isoTime } from "../api/dates.js";
import type { LatestMetrics, NodeMetrics, ResourceSnapshot } from "../history/latest.js";
import type { MetricsHistory } from "../history/store.js";

/** One container, as its agent last reported it. */
export interface ContainerView {
  id: string;
  name: string;
  node: string;
  nodeId: string;
  image: string | null;
  stack: string | null;
  service: string | null;
  swarmService: string | null;
  slot: number | null;
  taskId: string | null;
  state: string | null;
  health: string | null;
  /** CPU in use, in cores (rate of CPU seconds), from the history. */
  cpuCores: number | null;
  memory: { usageBytes: number | null; workingSetBytes: number | null; limitBytes: number | null };
  restarts: number | null;
  sampledAt: string | null;
}

/** A service: its containers on every node, summed. */
export interface ServiceView {
  name: string;
  stack: string | null;
  service: string | null;
  /** Desired replicas come from the Swarm view on a manager; null when unknown. */
  replicas: { desired: number | null; running: number; healthy: number };
  nodes: string[];
  cpuCores: number;
  memoryWorkingSetBytes: number;
  restarts: number;
}

/** A Swarm task as seen through its container. */
export interface TaskView {
  service: string | null;
  stack: string | null;
  slot: number | null;
  taskId: string | null;
  node: string;
  container: string;
  containerId: string;
  state: string | null;
  health: string | null;
}

/** Every container of every node, sorted by node and name, with its CPU (cores) from the history. */
export function containerViews(latest: LatestMetrics, history: MetricsHistory): ContainerView[] {
  // CPU rates (cores) per node and container name, from the last sample of each mode.
  const cpu = new Map<string, number>();
  for (const s of history.select(METRIC.containerCpuTime)) {
    let last: number | undefined;
    s.ring.forEach(-Infinity, Infinity, (_t, v) => {
      last = v;
    });
    if (last === undefined) continue;
    const k = `${s.labels.node}\u0000${s.labels[ATTR.containerName]}`;
    cpu.set(k, (cpu.get(k) ?? 0) + last);
  }
  const out: ContainerView[] = [];
  for (const n of latest.nodes()) for (const [id, c] of n.containers) out.push(view(n, id, c, cpu));
  return out.sort((a, b) => a.node.localeCompare(b.node) || a.name.localeCompare(b.name));
}

function view(n: NodeMetrics, id: string, c: ResourceSnapshot, cpu: Map<string, number>): ContainerView {
  const r = c.resource;
  const str = (k: string) => (r[k] !== undefined ? String(r[k]) : null);
  const byName = new Map<string, Metric>(c.metrics.map((m) => [m.name, m]));
  const value = (name: string) => byName.get(name)?.points[0]?.value ?? null;
  // State and health are state sets: the point at 1 names the current one.
  const current = (name: string, attr: string) => {
    const p = byName.get(name)?.points.find((x) => x.value === 1);
    return p?.attributes?.[attr] !== undefined ? String(p.attributes[attr]) : null;
  };
  const name = str(ATTR.containerName) ?? id;
  const slot = r[ATTR.swarmTaskSlot];
  return {
    id,
    name,
    node: n.hostname,
    nodeId: n.nodeId,
    image: str(ATTR.containerImageName),
    stack: str(ATTR.serviceNamespace),
    service: str(ATTR.serviceName),
    swarmService: str(ATTR.swarmServiceName),
    slot: slot !== undefined && Number.isFinite(Number(slot)) ? Number(slot) : null,
    taskId: str(ATTR.swarmTaskId),
    state: current(METRIC.containerState, ATTR.containerState),
    health: current(METRIC.containerHealth, ATTR.containerHealthStatus),
    cpuCores: cpu.get(`${n.hostname}\u0000${name}`) ?? null,
    memory: { usageBytes: value(METRIC.containerMemoryUsage), workingSetBytes: value(METRIC.containerMemoryWorkingSet), limitBytes: value(METRIC.containerMemoryLimit) },
    restarts: value(METRIC.containerRestarts),
    sampledAt: isoTime(c.time),
  };
}

/**
 * Groups containers into services (the Swarm service, else stack + service name): running
 * replicas are containers running (or of unknown state), healthy ones are running and not
 * reported unhealthy or starting; CPU, memory and restarts are summed. Desired replicas come
 * from `desired` (the Swarm view), null when it does not know the service.
 */
export function groupServices(containers: readonly ContainerView[], desired?: (swarmService: string) => number | undefined): ServiceView[] {
  const groups = new Map<string, ServiceView>();
  for (const c of containers) {
    const name = c.swarmService ?? (c.service ? (c.stack ? `${c.stack}_${c.service}` : c.service) : null);
    if (!name) continue;
    let s = groups.get(name);
    if (!s) groups.set(name, (s = { name, stack: c.stack, service: c.service, replicas: { desired: (c.swarmService ? desired?.(c.swarmService) : undefined) ?? null, running: 0, healthy: 0 }, nodes: [], cpuCores: 0, memoryWorkingSetBytes: 0, restarts: 0 }));
    const running = c.state === null || c.state === "running";
    if (running) s.replicas.running++;
    if (running && (c.health === null || c.health === "healthy" || c.health === "none")) s.replicas.healthy++;
    if (!s.nodes.includes(c.node)) s.nodes.push(c.node);
    s.cpuCores += c.cpuCores ?? 0;
    s.memoryWorkingSetBytes += c.memory.workingSetBytes ?? 0;
    s.restarts += c.restarts ?? 0;
  }
  return [...groups.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** The Swarm tasks among the containers (those that name their Swarm service). */
export function taskViews(containers: readonly ContainerView[]): TaskView[] {
  return containers
    .filter((c) => c.swarmService !== null)
    .map((c) => ({ service: c.swarmService, stack: c.stack, slot: c.slot, taskId: c.taskId, node: c.node, container: c.name, containerId: c.id, state: c.state, health: c.health }));
}
