import type Docker from "dockerode";
import type { AutoscaleService, MetricReader, TaskValue } from "./ports.js";

interface Stats {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; stats?: { inactive_file?: number; total_inactive_file?: number } };
}

/**
 * Per-task CPU and memory from the local engine's stats endpoint (one request per container,
 * ~1 s each: the engine samples twice). Only for the tasks on this node, and only where the
 * collector's model (fed by every node's agent) is not wired — a one-node swarm, a test. Numbers
 * from status checks are not known here: every task reads as without a value.
 */
export class DockerUsageReader implements MetricReader {
  constructor(private readonly docker: Docker) {}

  cpuCores(service: AutoscaleService, signal?: AbortSignal): Promise<TaskValue[]> {
    return this.each(service, signal, (s) => {
      const cpu = s.cpu_stats;
      const pre = s.precpu_stats;
      const dCpu = (cpu?.cpu_usage?.total_usage ?? 0) - (pre?.cpu_usage?.total_usage ?? 0);
      const dSys = (cpu?.system_cpu_usage ?? 0) - (pre?.system_cpu_usage ?? 0);
      if (!pre?.system_cpu_usage || dSys <= 0 || dCpu < 0) return undefined;
      return (dCpu / dSys) * (cpu?.online_cpus ?? 1);
    });
  }

  memoryBytes(service: AutoscaleService, signal?: AbortSignal): Promise<TaskValue[]> {
    return this.each(service, signal, (s) => {
      const m = s.memory_stats;
      if (m?.usage === undefined) return undefined;
      return Math.max(0, m.usage - (m.stats?.inactive_file ?? m.stats?.total_inactive_file ?? 0));
    });
  }

  async checkValue(service: AutoscaleService): Promise<TaskValue[]> {
    return service.tasks.map((t) => ({ taskId: t.id, value: undefined }));
  }

  private each(service: AutoscaleService, signal: AbortSignal | undefined, read: (s: Stats) => number | undefined): Promise<TaskValue[]> {
    return Promise.all(
      service.tasks.map(async (t): Promise<TaskValue> => {
        if (!t.containerId || t.state !== "running") return { taskId: t.id, value: undefined };
        try {
          signal?.throwIfAborted();
          const stats = (await this.docker.getContainer(t.containerId).stats({ stream: false })) as Stats;
          return { taskId: t.id, value: read(stats) };
        } catch {
          // A container on another node, or gone: no metric, which the calculator handles.
          return { taskId: t.id, value: undefined };
        }
      }),
    );
  }
}
