/**
 * The replica calculation of Kubernetes' Horizontal Pod Autoscaler, for Swarm tasks. Pure:
 * numbers in, a recommendation out. `decide.ts` then applies stabilization, the step limit,
 * bounds and cooldowns.
 *
 * Per-task metrics (CPU, memory, a check's number) follow the replica calculator:
 *
 *   ratio   = mean(task values) / target
 *   desired = ceil(ratio × tasks counted)            when |ratio − 1| > tolerance
 *
 * with its handling of tasks that cannot speak for themselves:
 *
 *   | task                                   | counted as                                           |
 *   |----------------------------------------|------------------------------------------------------|
 *   | not running yet (pending, starting, …) | left out; 0 on a scale-up                            |
 *   | running, unready, metric `cpu`         | left out; 0 on a scale-up (a warming CPU lies)       |
 *   | running, no metric yet                 | 0 on a scale-up, full (target, or 100 % of capacity) |
 *   |                                        | on a scale-down: never idle, so never a reason to    |
 *   |                                        | remove a task                                        |
 *
 * and when counting them flips the direction or lands within the tolerance, nothing moves.
 * A queue's backlog is one number for the whole service (Kubernetes' external metric with an
 * average value): desired = ceil(pending / target per replica).
 */

export interface TaskSample {
  /** The task's value in the target's unit (utilization for CPU and memory); undefined = no metric. */
  value: number | undefined;
  /** Running (started): tasks on their way up are left out, as pending pods are. */
  running: boolean;
  /** Running and not unhealthy or starting its health check. */
  ready: boolean;
}

export interface PerTaskInput {
  current: number;
  target: number;
  tasks: readonly TaskSample[];
  tolerance: number;
  /** What a task without a metric counts as on a scale-down: the target, or 1 (100 %) for a utilization. */
  fullValue: number;
  /** Leave running-but-unready tasks out (CPU only, as the HPA does). */
  ignoreUnready: boolean;
}

export type Recommendation =
  | {
      ok: true;
      replicas: number;
      /** observed / target, before tasks without metrics were counted in. */
      ratio: number;
      /** The mean per task (per-task metrics) or the total (queue). */
      observed: number;
      /** True when the ratio (or the recount with missing tasks) was within the tolerance. */
      withinTolerance: boolean;
      /** Tasks counted: with a metric, missing, left out. */
      counted: { withMetric: number; missing: number; ignored: number };
    }
  | { ok: false; reason: "missing_metrics"; message: string };

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Replicas for a per-task metric: the HPA replica calculator (`calcPlainMetricReplicas` / `GetResourceReplicas`). */
export function perTaskReplicas(input: PerTaskInput): Recommendation {
  const { current, target, tolerance } = input;
  let ready = 0;
  let ignored = 0;
  let missing = 0;
  const values: number[] = [];
  for (const t of input.tasks) {
    if (!t.running) ignored++;
    else if (t.value === undefined || !Number.isFinite(t.value)) missing++;
    else if (input.ignoreUnready && !t.ready) ignored++;
    else {
      ready++;
      values.push(Math.max(0, t.value));
    }
  }
  const counted = { withMetric: values.length, missing, ignored };
  if (values.length === 0) return { ok: false, reason: "missing_metrics", message: `no task reported the metric (${missing} running without it, ${ignored} not ready)` };
  const observed = mean(values);
  const ratio = observed / target;
  const rebalanceIgnored = ignored > 0 && ratio > 1;
  if (!rebalanceIgnored && missing === 0) {
    if (Math.abs(1 - ratio) <= tolerance) return { ok: true, replicas: current, ratio, observed, withinTolerance: true, counted };
    return { ok: true, replicas: Math.ceil(ratio * ready), ratio, observed, withinTolerance: false, counted };
  }
  const recount = [...values];
  if (missing > 0) {
    if (ratio < 1) for (let i = 0; i < missing; i++) recount.push(input.fullValue);
    else if (ratio > 1) for (let i = 0; i < missing; i++) recount.push(0);
  }
  if (rebalanceIgnored) for (let i = 0; i < ignored; i++) recount.push(0);
  const newRatio = mean(recount) / target;
  if (Math.abs(1 - newRatio) <= tolerance || (ratio < 1 && newRatio > 1) || (ratio > 1 && newRatio < 1)) {
    return { ok: true, replicas: current, ratio, observed, withinTolerance: Math.abs(1 - newRatio) <= tolerance, counted };
  }
  const replicas = Math.ceil(newRatio * recount.length);
  // Tasks counted beyond the current replicas (a rolling update's surge) must not reverse the direction.
  if ((newRatio < 1 && replicas > current) || (newRatio > 1 && replicas < current)) {
    return { ok: true, replicas: current, ratio, observed, withinTolerance: false, counted };
  }
  return { ok: true, replicas, ratio, observed, withinTolerance: false, counted };
}

/** Replicas for a backlog shared by the service's tasks (`GetExternalPerPodMetricReplicas`). */
export function totalReplicas(input: { current: number; total: number; targetPerReplica: number; tolerance: number }): Recommendation {
  const { current, total, targetPerReplica, tolerance } = input;
  const counted = { withMetric: current, missing: 0, ignored: 0 };
  if (!Number.isFinite(total) || total < 0) return { ok: false, reason: "missing_metrics", message: `backlog ${total} is not a count` };
  const wanted = Math.ceil(total / targetPerReplica);
  if (current === 0) {
    // From zero, any backlog is a reason to start (the ratio to zero replicas is infinite).
    return { ok: true, replicas: wanted, ratio: total > 0 ? Infinity : 1, observed: total, withinTolerance: total === 0, counted };
  }
  const ratio = total / (targetPerReplica * current);
  if (Math.abs(1 - ratio) <= tolerance) return { ok: true, replicas: current, ratio, observed: total, withinTolerance: true, counted };
  return { ok: true, replicas: wanted, ratio, observed: total, withinTolerance: false, counted };
}
