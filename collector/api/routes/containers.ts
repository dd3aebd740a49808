import { ATTR, METRIC, type Metric } from "../../../protocol/index.js";
import { canSeeStack, type Principal } from "../../auth/tokens.js";
import type { LatestMetrics, NodeMetrics, ResourceSnapshot } from "../../history/latest.js";
import type { MetricsHistory } from "../../history/store.js";
import { ApiError } from "../errors.js";
import { isoTime } from "../dates.js";
import { NEXT, page, PAGE_PARAMS, type PageQuery } from "../paging.js";
import type { RouteModule } from "../server.js";

export interface ContainerRoutesDeps {
  latest: LatestMetrics;
  history: MetricsHistory;
  /** Desired replicas of a Swarm service (`stack_name`), from the Swarm view on a manager. */
  desiredReplicas?: (swarmService: string) => number | undefined;
}

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

const NAME = { type: "string", minLength: 1, maxLength: 253, pattern: "^[A-Za-z0-9_.-]+$" } as const;
const CONTAINER_VIEW = { type: "object", additionalProperties: true } as const;

/** /api/v1/containers, /api/v1/services[/{name}], /api/v1/tasks: built from what the agents last sent. */
export function containerRoutes(deps: ContainerRoutesDeps): RouteModule {
  const list = (principal: Principal, f: { node?: string; stack?: string; service?: string }) =>
    allContainers(deps).filter(
      (c) =>
        canSeeStack(principal, c.stack ?? undefined) &&
        (!f.node || c.node === f.node || c.nodeId === f.node) &&
        (!f.stack || c.stack === f.stack) &&
        (!f.service || c.swarmService === f.service || c.service === f.service),
    );

  return (app) => {
    app.get<{ Querystring: { node?: string; stack?: string; service?: string } & PageQuery }>(
      "/api/v1/containers",
      {
        schema: {
          summary: "Containers on every node, as their agents last reported them",
          tags: ["cluster"],
          querystring: {
            type: "object",
            additionalProperties: false,
            properties: { node: { ...NAME, description: "Hostname or node id" }, stack: { ...NAME, description: "Swarm stack (service.namespace)" }, service: { ...NAME, description: "Swarm service (stack_name) or service name" }, ...PAGE_PARAMS },
          },
          response: { 200: { type: "object", properties: { containers: { type: "array", items: CONTAINER_VIEW }, next: NEXT } } },
        },
      },
      async (req) => {
        const { items, next } = page(list(req.principal, req.query), req.query);
        return { containers: items, next };
      },
    );

    app.get<{ Querystring: { stack?: string } & PageQuery }>(
      "/api/v1/services",
      {
        schema: {
          summary: "Services with running and healthy replicas, CPU and memory summed over their containers",
          tags: ["cluster"],
          querystring: { type: "object", additionalProperties: false, properties: { stack: { ...NAME, description: "Swarm stack" }, ...PAGE_PARAMS } },
        },
      },
      async (req) => {
        const { items, next } = page(services(list(req.principal, req.query), deps.desiredReplicas), req.query);
        return { services: items, next };
      },
    );

    app.get<{ Params: { name: string } }>(
      "/api/v1/services/:name",
      {
        schema: {
          summary: "One service by its Swarm name (stack_service), with its containers",
          tags: ["cluster"],
          params: { type: "object", additionalProperties: false, required: ["name"], properties: { name: NAME } },
        },
      },
      async (req) => {
        const containers = list(req.principal, { service: req.params.name });
        const [service] = services(containers, deps.desiredReplicas);
        if (!service) throw new ApiError("not_found", `no service ${JSON.stringify(req.params.name)} reported by any agent`, "name");
        return { ...service, containers };
      },
    );

    app.get<{ Querystring: { node?: string; stack?: string; service?: string } & PageQuery }>(
      "/api/v1/tasks",
      {
        schema: {
          summary: "Swarm tasks (service, slot, node, state) as seen through their containers",
          tags: ["cluster"],
          querystring: { type: "object", additionalProperties: false, properties: { node: NAME, stack: NAME, service: NAME, ...PAGE_PARAMS } },
        },
      },
      async (req) => {
        const { items, next } = page(list(req.principal, req.query).filter((c) => c.swarmService !== null), req.query);
        return { tasks: items.map((c) => ({ service: c.swarmService, stack: c.stack, slot: c.slot, taskId: c.taskId, node: c.node, container: c.name, containerId: c.id, state: c.state, health: c.health })), next };
      },
    );
  };
}

function allContainers(deps: ContainerRoutesDeps): ContainerView[] {
  // CPU rates (cores) per node and container name, from the last sample of each mode.
  const cpu = new Map<string, number>();
  for (const s of deps.history.select(METRIC.containerCpuTime)) {
    let last: number | undefined;
    s.ring.forEach(-Infinity, Infinity, (_t, v) => {
      last = v;
    });
    if (last === undefined) continue;
    const k = `${s.labels.node}\u0000${s.labels[ATTR.containerName]}`;
    cpu.set(k, (cpu.get(k) ?? 0) + last);
  }
  const out: ContainerView[] = [];
  for (const n of deps.latest.nodes()) for (const [id, c] of n.containers) out.push(view(n, id, c, cpu));
  return out.sort((a, b) => a.node.localeCompare(b.node) || a.name.localeCompare(b.name));
}

function view(n: NodeMetrics, id: string, c: ResourceSnapshot, cpu: Map<string, number>): ContainerView {
  const r = c.resource;
  const str = (k: string) => (r[k] !== undefined ? String(r[k]) : null);
  const byName = new Map<string, Metric>(c.metrics.map((m) => [m.name, m]));
  const value = (name: string) => byName.get(name)?.points[0]?.value ?? null;
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

/** Groups containers into services (Swarm service, else stack + service name). */
export function services(containers: readonly ContainerView[], desired?: (swarmService: string) => number | undefined): ServiceView[] {
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
