import type Docker from "dockerode";
import type { AutoscaleService, AutoscaleTask, ServiceReader } from "./ports.js";

interface ApiService {
  ID: string;
  Version?: { Index?: number };
  Spec?: {
    Name?: string;
    Labels?: Record<string, string>;
    Mode?: { Replicated?: { Replicas?: number }; Global?: object };
    TaskTemplate?: { Resources?: { Limits?: { NanoCPUs?: number; MemoryBytes?: number }; Reservations?: { NanoCPUs?: number; MemoryBytes?: number } } };
  };
  UpdateStatus?: { State?: string };
}

interface ApiTask {
  ID: string;
  ServiceID: string;
  DesiredState?: string;
  Status?: { State?: string; ContainerStatus?: { ContainerID?: string } };
}

const positive = (n: number | undefined) => (n !== undefined && Number.isFinite(n) && n > 0 ? n : undefined);

/**
 * Services and their tasks read from a Swarm manager's engine. The collector's model offers the
 * same (and the tasks' health from the agents); this reader serves where the model is not at
 * hand. Without health information a running task counts as ready.
 */
export class DockerServiceReader implements ServiceReader {
  constructor(
    private readonly docker: Docker,
    private readonly health?: (containerId: string) => string | undefined,
  ) {}

  async services(): Promise<AutoscaleService[]> {
    const [services, tasks] = await Promise.all([
      this.docker.listServices() as unknown as Promise<ApiService[]>,
      this.docker.listTasks({ filters: { "desired-state": ["running"] } }) as Promise<ApiTask[]>,
    ]);
    const byService = new Map<string, AutoscaleTask[]>();
    for (const t of tasks) {
      if (t.DesiredState !== "running") continue;
      const state = t.Status?.State ?? "unknown";
      const containerId = t.Status?.ContainerStatus?.ContainerID || undefined;
      const h = containerId ? this.health?.(containerId) : undefined;
      const list = byService.get(t.ServiceID) ?? [];
      list.push({ id: t.ID, containerId, state, ready: state === "running" && h !== "unhealthy" && h !== "starting" });
      byService.set(t.ServiceID, list);
    }
    return services.map((s) => toService(s, byService.get(s.ID) ?? []));
  }
}

export function toService(s: ApiService, tasks: AutoscaleTask[]): AutoscaleService {
  const spec = s.Spec ?? {};
  const labels = spec.Labels ?? {};
  const res = spec.TaskTemplate?.Resources;
  const mode = spec.Mode?.Replicated ? "replicated" : spec.Mode?.Global ? "global" : "job";
  return {
    id: s.ID,
    name: spec.Name ?? s.ID,
    stack: labels["com.docker.stack.namespace"],
    labels,
    version: s.Version?.Index ?? 0,
    mode,
    replicas: mode === "replicated" ? (spec.Mode?.Replicated?.Replicas ?? 0) : undefined,
    updateState: s.UpdateStatus?.State ?? "none",
    tasks,
    cpuLimitCores: positive(res?.Limits?.NanoCPUs) !== undefined ? (res?.Limits?.NanoCPUs as number) / 1e9 : undefined,
    cpuReservationCores: positive(res?.Reservations?.NanoCPUs) !== undefined ? (res?.Reservations?.NanoCPUs as number) / 1e9 : undefined,
    memoryLimitBytes: positive(res?.Limits?.MemoryBytes),
    memoryReservationBytes: positive(res?.Reservations?.MemoryBytes),
  };
}
