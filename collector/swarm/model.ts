/**
 * The Swarm cluster as a manager sees it, reduced to what operators ask: are the nodes up, is
 * the raft quorum safe, does every service run what it should, is something crash-looping or
 * stuck in an update. Pure: Docker API objects and the time in, a view out.
 */

/** The fields of the Docker API objects this view reads (the API has many more). */
export interface ApiNode {
  ID: string;
  Description?: { Hostname?: string };
  Spec?: { Role?: string; Availability?: string; Labels?: Record<string, string> };
  Status?: { State?: string; Addr?: string; Message?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}

export interface ApiService {
  ID: string;
  Spec?: {
    Name?: string;
    Labels?: Record<string, string>;
    Mode?: { Replicated?: { Replicas?: number }; Global?: object; ReplicatedJob?: object; GlobalJob?: object };
    TaskTemplate?: { ContainerSpec?: { Image?: string; Healthcheck?: { Test?: string[] } } };
  };
  UpdateStatus?: { State?: string; Message?: string; StartedAt?: string; CompletedAt?: string };
  ServiceStatus?: { RunningTasks?: number; DesiredTasks?: number };
}

export interface ApiTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  DesiredState?: string;
  CreatedAt?: string;
  Status?: { State?: string; Timestamp?: string; Message?: string; Err?: string; ContainerStatus?: { ContainerID?: string; ExitCode?: number } };
}

export interface SwarmNode {
  id: string;
  hostname: string;
  role: "manager" | "worker";
  /** ready, down, unknown, disconnected */
  state: string;
  /** active, pause, drain */
  availability: string;
  leader: boolean;
  /** For managers: reachable, unreachable, unknown. */
  reachability?: string;
  message?: string;
}

export interface SwarmService {
  id: string;
  name: string;
  /** The stack (`com.docker.stack.namespace`), and the name without the stack prefix. */
  stack?: string;
  shortName: string;
  mode: "replicated" | "global" | "job";
  image?: string;
  desired: number;
  running: number;
  /** Running tasks not known to be unhealthy (a task with a healthcheck runs only once healthy). */
  healthy: number;
  /** Tasks that failed or were rejected within the window. */
  recentFailures: number;
  crashLooping: boolean;
  /** updating, paused, completed, rollback_started, rollback_paused, rollback_completed, or none. */
  updateState: string;
  updateMessage?: string;
  lastError?: string;
  /** The service's `vigie.check.*` labels: only managers can read them, so the collector publishes them to every agent. */
  checkLabels?: Record<string, string>;
}

export interface SwarmTask {
  id: string;
  service: string;
  nodeId?: string;
  node?: string;
  slot?: number;
  state: string;
  desiredState: string;
  since?: string;
  message?: string;
  error?: string;
  containerId?: string;
  exitCode?: number;
}

export interface SwarmView {
  /** Unix ms of the reading. */
  time: number;
  nodes: SwarmNode[];
  managers: { total: number; reachable: number; quorum: number; quorumOk: boolean; leader?: string };
  services: SwarmService[];
  tasks: SwarmTask[];
}

export interface ViewOptions {
  /** How far back failed tasks count towards a crash loop. Default 5 minutes. */
  failureWindowMs?: number;
  /** Failures within the window that make a crash loop. Default 3. */
  crashLoopThreshold?: number;
  /** Health of a task's container as agents report it (`healthy`, `unhealthy`, `starting`, `none`). */
  containerHealth?: (containerId: string) => string | undefined;
}

const FAILED = new Set(["failed", "rejected"]);

export function buildView(nodes: ApiNode[], services: ApiService[], tasks: ApiTask[], now: number, options: ViewOptions = {}): SwarmView {
  const window = options.failureWindowMs ?? 5 * 60_000;
  const threshold = options.crashLoopThreshold ?? 3;
  const hostnames = new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? n.ID]));

  const swarmNodes: SwarmNode[] = nodes.map((n) => ({
    id: n.ID,
    hostname: n.Description?.Hostname ?? n.ID,
    role: n.Spec?.Role === "manager" ? "manager" : "worker",
    state: n.Status?.State ?? "unknown",
    availability: n.Spec?.Availability ?? "unknown",
    leader: n.ManagerStatus?.Leader === true,
    reachability: n.ManagerStatus?.Reachability,
    message: n.Status?.Message || undefined,
  }));
  const managers = swarmNodes.filter((n) => n.role === "manager");
  const reachable = managers.filter((n) => n.reachability === "reachable").length;
  const quorum = Math.floor(managers.length / 2) + 1;

  const activeNodes = swarmNodes.filter((n) => n.state === "ready" && n.availability === "active").length;
  const byService = new Map<string, ApiTask[]>();
  for (const t of tasks) {
    const list = byService.get(t.ServiceID) ?? [];
    list.push(t);
    byService.set(t.ServiceID, list);
  }

  const swarmServices: SwarmService[] = services.map((s) => {
    const name = s.Spec?.Name ?? s.ID;
    const stack = s.Spec?.Labels?.["com.docker.stack.namespace"];
    const mine = byService.get(s.ID) ?? [];
    const mode = s.Spec?.Mode?.Replicated ? "replicated" : s.Spec?.Mode?.Global ? "global" : "job";
    const runningTasks = mine.filter((t) => t.Status?.State === "running" && t.DesiredState === "running");
    const desired =
      mode === "replicated"
        ? (s.Spec?.Mode?.Replicated?.Replicas ?? 0)
        : mode === "global"
          ? (s.ServiceStatus?.DesiredTasks ?? activeNodes)
          : (s.ServiceStatus?.DesiredTasks ?? 0);
    const healthy = runningTasks.filter((t) => {
      const id = t.Status?.ContainerStatus?.ContainerID;
      const h = id ? options.containerHealth?.(id) : undefined;
      return h !== "unhealthy" && h !== "starting";
    }).length;
    const failures = mine.filter((t) => FAILED.has(t.Status?.State ?? "") && now - Date.parse(t.Status?.Timestamp ?? "") <= window);
    const newestFailure = failures.sort((a, b) => Date.parse(b.Status?.Timestamp ?? "") - Date.parse(a.Status?.Timestamp ?? ""))[0];
    return {
      id: s.ID,
      name,
      stack,
      shortName: stack && name.startsWith(`${stack}_`) ? name.slice(stack.length + 1) : name,
      mode,
      image: s.Spec?.TaskTemplate?.ContainerSpec?.Image?.replace(/@sha256:[0-9a-f]+$/, ""),
      desired,
      running: runningTasks.length,
      healthy,
      recentFailures: failures.length,
      crashLooping: failures.length >= threshold,
      updateState: s.UpdateStatus?.State ?? "none",
      updateMessage: s.UpdateStatus?.Message || undefined,
      lastError: newestFailure ? newestFailure.Status?.Err || newestFailure.Status?.Message : undefined,
      checkLabels: checkLabelsOf(s.Spec?.Labels),
    };
  });

  const serviceNames = new Map(services.map((s) => [s.ID, s.Spec?.Name ?? s.ID]));
  const swarmTasks: SwarmTask[] = tasks.map((t) => ({
    id: t.ID,
    service: serviceNames.get(t.ServiceID) ?? t.ServiceID,
    nodeId: t.NodeID,
    node: t.NodeID ? hostnames.get(t.NodeID) : undefined,
    slot: t.Slot,
    state: t.Status?.State ?? "unknown",
    desiredState: t.DesiredState ?? "unknown",
    since: t.Status?.Timestamp,
    message: t.Status?.Message || undefined,
    error: t.Status?.Err || undefined,
    containerId: t.Status?.ContainerStatus?.ContainerID || undefined,
    exitCode: t.Status?.ContainerStatus?.ExitCode,
  }));

  return {
    time: now,
    nodes: swarmNodes.sort((a, b) => a.hostname.localeCompare(b.hostname)),
    managers: {
      total: managers.length,
      reachable,
      quorum,
      quorumOk: managers.length > 0 && reachable >= quorum,
      leader: managers.find((m) => m.leader)?.hostname,
    },
    services: swarmServices.sort((a, b) => a.name.localeCompare(b.name)),
    tasks: swarmTasks,
  };
}

/** The `vigie.check.*` labels of a service, or undefined when it has none. */
function checkLabelsOf(labels: Record<string, string> | undefined): Record<string, string> | undefined {
  const own = Object.entries(labels ?? {}).filter(([k]) => k.startsWith("vigie.check."));
  return own.length === 0 ? undefined : Object.fromEntries(own);
}
