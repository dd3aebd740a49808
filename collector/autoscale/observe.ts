import { perTaskReplicas, totalReplicas, type Recommendation, type TaskSample } from "./hpa.js";
import type { Policy } from "./policy.js";
import type { AutoscaleService, MetricReader, QueueReader, TaskValue } from "./ports.js";

/** What the calculator was given, for the audit trail. */
export interface Observation {
  recommendation: Recommendation;
  inputs: Record<string, unknown>;
}

/**
 * Reads the policy's metric for a service and turns it into a recommendation: per-task values
 * become utilizations of the task's capacity (CPU: limit, else reservation, else one core;
 * memory: limit, else reservation), a queue's backlog stays one number. A reader that fails is
 * a missing metric, never an idle service.
 */
export async function observe(policy: Policy, service: AutoscaleService, current: number, readers: { metrics: MetricReader; queues?: QueueReader }, tolerance: number, signal?: AbortSignal): Promise<Observation> {
  const m = policy.metric;
  const missing = (message: string, inputs: Record<string, unknown> = {}): Observation => ({ recommendation: { ok: false, reason: "missing_metrics", message }, inputs });

  if (m.kind === "nats") {
    if (!readers.queues) return missing("no NATS connection to read the queue from");
    const r = await readers.queues.pending(m.stream, m.consumer, signal);
    if (!r.ok) return missing(r.error);
    const recommendation = totalReplicas({ current, total: r.pending, targetPerReplica: policy.target, tolerance });
    return { recommendation, inputs: { pending: r.pending, targetPerReplica: policy.target } };
  }

  let capacity = 1;
  let values: TaskValue[];
  if (m.kind === "cpu") {
    capacity = service.cpuLimitCores ?? service.cpuReservationCores ?? 1;
    values = await readers.metrics.cpuCores(service, signal);
  } else if (m.kind === "memory") {
    if (policy.targetUnit === "ratio") {
      const c = service.memoryLimitBytes ?? service.memoryReservationBytes;
      if (c === undefined) return missing("the service sets no memory limit or reservation: give a target in bytes (256MiB) or set one");
      capacity = c;
    }
    values = await readers.metrics.memoryBytes(service, signal);
  } else {
    values = await readers.metrics.checkValue(service, m.path, signal);
  }
  const byTask = new Map(values.map((v) => [v.taskId, v.value]));
  const tasks: TaskSample[] = service.tasks.map((t) => {
    const raw = byTask.get(t.id);
    return { value: raw === undefined || !Number.isFinite(raw) ? undefined : raw / capacity, running: t.state === "running", ready: t.state === "running" && t.ready };
  });
  const utilization = policy.targetUnit === "ratio";
  const recommendation = perTaskReplicas({ current, target: policy.target, tasks, tolerance, fullValue: utilization ? 1 : policy.target, ignoreUnready: m.kind === "cpu" });
  return {
    recommendation,
    inputs: {
      capacity: m.kind === "check" || !utilization ? undefined : capacity,
      values: tasks.slice(0, 50).map((t) => (t.value === undefined ? null : Math.round(t.value * 1e4) / 1e4)),
      tasks: service.tasks.length,
    },
  };
}
