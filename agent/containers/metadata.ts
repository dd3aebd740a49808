import { ATTR, type Attributes } from "../../protocol/index.js";

/** Docker labels the engine puts on Swarm task containers, and `docker stack deploy`'s namespace. */
export const LABEL = {
  swarmServiceName: "com.docker.swarm.service.name",
  swarmTaskId: "com.docker.swarm.task.id",
  swarmTaskName: "com.docker.swarm.task.name",
  swarmNodeId: "com.docker.swarm.node.id",
  stackNamespace: "com.docker.stack.namespace",
  composeService: "com.docker.compose.service",
  composeProject: "com.docker.compose.project",
} as const;

/** What the engine alone knows about a running container, kept between cycles. */
export interface ContainerMeta {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  state: string;
  /** `starting | healthy | unhealthy`, or `none` without a health check. */
  health: string;
  pid: number;
  /** Unix time in ms. */
  startedAt: number | undefined;
  restartCount: number;
  oomKilled: boolean;
  /** `host`, `none`, `container:<id>`, `default`, a network name, … */
  networkMode: string;
  /** The container has a CPU quota (`--cpus`, `--cpu-quota`, a service's CPU limit): it can be throttled. */
  cpuLimited: boolean;
}

/** The parts of `GET /containers/{id}/json` Vigie reads. */
export interface InspectInfo {
  Id: string;
  Name: string;
  RestartCount?: number;
  /** The json-file driver's file on the host; empty or absent for other drivers. */
  LogPath?: string;
  Config?: { Image?: string; Labels?: Record<string, string> | null; Tty?: boolean };
  HostConfig?: { NetworkMode?: string; NanoCpus?: number; CpuQuota?: number; LogConfig?: { Type?: string } };
  State?: { Status?: string; Pid?: number; StartedAt?: string; OOMKilled?: boolean; Health?: { Status?: string } };
}

export function metaFromInspect(info: InspectInfo): ContainerMeta {
  const started = info.State?.StartedAt ? Date.parse(info.State.StartedAt) : NaN;
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ""),
    image: imageName(info.Config?.Image ?? ""),
    labels: info.Config?.Labels ?? {},
    state: info.State?.Status ?? "running",
    health: info.State?.Health?.Status ?? "none",
    pid: info.State?.Pid ?? 0,
    // The engine writes 0001-01-01T00:00:00Z for "never started".
    startedAt: Number.isFinite(started) && started > 0 ? started : undefined,
    restartCount: info.RestartCount ?? 0,
    oomKilled: info.State?.OOMKilled ?? false,
    networkMode: info.HostConfig?.NetworkMode ?? "default",
    cpuLimited: (info.HostConfig?.NanoCpus ?? 0) > 0 || (info.HostConfig?.CpuQuota ?? 0) > 0,
  };
}

/** Swarm pins task images by digest (`img:tag@sha256:…`); the name people know is before the `@`. */
export function imageName(image: string): string {
  const at = image.indexOf("@");
  return at > 0 ? image.slice(0, at) : image;
}

/**
 * The resource attributes of a container (ARCHITECTURE.md, the normalized model): id, name, image, the Swarm service
 * without its stack prefix as `service.name`, the stack as `service.namespace`, task and slot.
 * Outside Swarm, a Compose service (or the container's name) stands in for the service.
 */
export function containerResource(c: { id: string; name: string; image: string; labels: Record<string, string> }, base: Attributes): Attributes {
  const labels = c.labels;
  const swarmService = labels[LABEL.swarmServiceName];
  const namespace = labels[LABEL.stackNamespace] ?? labels[LABEL.composeProject];
  const out: Attributes = { ...base, [ATTR.containerId]: c.id, [ATTR.containerName]: c.name, [ATTR.containerImageName]: c.image };
  if (swarmService) {
    out[ATTR.swarmServiceName] = swarmService;
    out[ATTR.serviceName] = namespace && swarmService.startsWith(`${namespace}_`) ? swarmService.slice(namespace.length + 1) : swarmService;
    const taskId = labels[LABEL.swarmTaskId];
    if (taskId) out[ATTR.swarmTaskId] = taskId;
    const slot = taskSlot(swarmService, labels[LABEL.swarmTaskName]);
    if (slot !== undefined) out[ATTR.swarmTaskSlot] = slot;
    const node = labels[LABEL.swarmNodeId];
    if (node) out[ATTR.swarmNodeId] = node;
  } else {
    out[ATTR.serviceName] = labels[LABEL.composeService] ?? c.name;
  }
  if (namespace) out[ATTR.serviceNamespace] = namespace;
  return out;
}

/**
 * The slot from a task name `<service>.<slot>.<task id>`. Global services put the node id
 * where the slot would be: they have no slot.
 */
export function taskSlot(service: string, taskName: string | undefined): number | undefined {
  if (!taskName?.startsWith(`${service}.`)) return undefined;
  const part = taskName.slice(service.length + 1).split(".")[0] ?? "";
  return /^\d+$/.test(part) ? Number(part) : undefined;
}
