import { describe, expect, it } from "vitest";
import { decide, emptyMemory, remember, scaled, stepLimit, type Behavior } from "../../collector/autoscale/decide.js";
import { perTaskReplicas, totalReplicas, type Recommendation, type TaskSample } from "../../collector/autoscale/hpa.js";

/**
 * Cases of Kubernetes' replica calculator tests (pkg/controller/podautoscaler/replica_calculator_test.go),
 * with pods as tasks. CPU levels there are per container in millicores with requests of one
 * core, so a level of 300 is a utilization of 0.3; readiness false is an unready task.
 */
const cpu = (current: number, targetPct: number, levels: (number | undefined)[], opts: { ready?: boolean[]; running?: boolean[]; tasks?: number } = {}) => {
  const n = opts.tasks ?? Math.max(current, levels.length);
  const tasks: TaskSample[] = Array.from({ length: n }, (_, i) => ({
    value: levels[i] === undefined ? undefined : (levels[i]) / 1000,
    running: opts.running?.[i] ?? true,
    ready: (opts.running?.[i] ?? true) && (opts.ready?.[i] ?? true),
  }));
  return perTaskReplicas({ current, target: targetPct / 100, tasks, tolerance: 0.1, fullValue: 1, ignoreUnready: true });
};
const plain = (current: number, target: number, levels: number[], ready?: boolean[]) =>
  perTaskReplicas({ current, target, tasks: levels.map((value, i) => ({ value, running: true, ready: ready?.[i] ?? true })), tolerance: 0.1, fullValue: target, ignoreUnready: false });
const replicas = (r: Recommendation) => (r.ok ? r.replicas : r.reason);

describe("hpa replica calculator (Kubernetes reference cases)", () => {
  it("TestReplicaCalcScaleUp: 3 → 5", () => expect(replicas(cpu(3, 30, [300, 500, 700]))).toBe(5));
  it("TestReplicaCalcScaleUpUnreadyLessScale: an unready task counts as 0 on a scale-up, 3 → 4", () => expect(replicas(cpu(3, 30, [300, 500, 700], { ready: [false, true, true] }))).toBe(4));
  it("TestReplicaCalcScaleUpUnreadyNoScale: counting unready tasks reverses the direction, stays 3", () =>
    expect(replicas(cpu(3, 30, [400, 500, 700], { ready: [true, false, false] }))).toBe(3));
  it("TestReplicaCalcScaleUpIgnoresFailedPods: 2 → 4", () => expect(replicas(cpu(2, 30, [500, 700]))).toBe(4));
  it("TestReplicaCalcScaleUpCM: 3 → 4", () => expect(replicas(plain(3, 15_000, [20_000, 10_000, 30_000]))).toBe(4));
  it("TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale: unready tasks count for non-CPU metrics, 3 → 6", () =>
    expect(replicas(plain(3, 15_000, [50_000, 10_000, 30_000], [true, true, false]))).toBe(6));
  it("TestReplicaCalcScaleDown: 5 → 3", () => expect(replicas(cpu(5, 50, [100, 300, 500, 250, 250]))).toBe(3));
  it("TestReplicaCalcScaleDownCM: 5 → 3", () => expect(replicas(plain(5, 20_000, [12_000, 12_000, 12_000, 12_000, 12_000]))).toBe(3));
  it("TestReplicaCalcScaleDownIncludeUnreadyPods: 5 → 2", () => expect(replicas(cpu(5, 50, [100, 300, 500, 250, 250], { ready: [true, true, true, false, false] }))).toBe(2));
  it("TestReplicaCalcScaleDownExcludeUnscheduledPods: pending tasks left out, 5 → 1", () =>
    expect(replicas(cpu(5, 50, [100], { running: [true, false, false, false, false] }))).toBe(1));
  it("TestReplicaCalcTolerance: within 0.1, stays 3", () => {
    // Requests of 0.9, 1.0 and 1.1 cores: utilizations 1010/900, 1030/1000, 1020/1100.
    const r = perTaskReplicas({ current: 3, target: 1, tasks: [1010 / 900, 1.03, 1020 / 1100].map((value) => ({ value, running: true, ready: true })), tolerance: 0.1, fullValue: 1, ignoreUnready: true });
    expect(r.ok && r.withinTolerance).toBe(true);
    expect(replicas(r)).toBe(3);
  });
  it("TestReplicaCalcToleranceCM: stays 3", () => expect(replicas(plain(3, 20_000, [20_000, 21_000, 21_000]))).toBe(3));
  it("TestReplicaCalcMissingMetrics: missing tasks count as full on a scale-down, 4 → 3", () => expect(replicas(cpu(4, 100, [400, 95]))).toBe(3));
  it("TestReplicaCalcMissingMetricsNoChangeEq: stays 2", () => expect(replicas(cpu(2, 100, [1000]))).toBe(2));
  it("TestReplicaCalcMissingMetricsNoChangeGt: missing counts as 0 on a scale-up, stays 2", () => expect(replicas(cpu(2, 100, [1900]))).toBe(2));
  it("TestReplicaCalcMissingMetricsNoChangeLt: stays 2", () => expect(replicas(cpu(2, 100, [600]))).toBe(2));
  it("TestReplicaCalcMissingMetricsUnreadyChange: the recount reverses the direction, stays 3", () =>
    expect(replicas(cpu(3, 50, [100, 450], { ready: [false, true, true] }))).toBe(3));
  it("TestReplicaCalcMissingMetricsUnreadyScaleUp: 3 → 4", () => expect(replicas(cpu(3, 50, [100, 2000], { ready: [false, true, true] }))).toBe(4));
  it("TestReplicaCalcMissingMetricsUnreadyScaleDown: 4 → 3", () => expect(replicas(cpu(4, 50, [100, 100, 100], { ready: [false, true, true, true] }))).toBe(3));
  it("TestReplicaCalcDuringRollingUpdateWithMaxSurge: a surge task must not scale up a service going down, stays 2", () =>
    expect(replicas(cpu(2, 50, [100, 100], { tasks: 3 }))).toBe(2));
  it("TestReplicaCalcComputedToleranceAlgImplementation: just past the tolerance scales, just inside does not", () => {
    // 10 tasks using 150m of 300m requested; target = 1/(2 × 0.9) + 0.01 → 56 %, then + 0.004 → 55 %.
    // Kubernetes jitters the requests around 300m and sums usage over requests; a Swarm service's
    // tasks share one spec, so here every task has the same 300m and the mean is that sum.
    const at = (targetPct: number) =>
      perTaskReplicas({ current: 10, target: targetPct / 100, tasks: Array.from({ length: 10 }, () => ({ value: 150 / 300, running: true, ready: true })), tolerance: 0.1, fullValue: 1, ignoreUnready: true });
    expect(replicas(at(56))).toBe(9);
    expect(replicas(at(55))).toBe(10);
  });
  it("no task with a metric is missing_metrics, never a scale-down", () => expect(replicas(cpu(3, 50, [undefined, undefined, undefined]))).toBe("missing_metrics"));

  describe("queue backlog (external metric, average value per replica)", () => {
    it("TestReplicaCalcScaleUpPerPodCMExternal: 3 → 4", () => expect(replicas(totalReplicas({ current: 3, total: 8.6, targetPerReplica: 2.15, tolerance: 0.1 }))).toBe(4));
    it("TestReplicaCalcScaleDownPerPodCMExternal: 5 → 3", () => expect(replicas(totalReplicas({ current: 5, total: 8600, targetPerReplica: 2867, tolerance: 0.1 }))).toBe(3));
    it("TestReplicaCalcTolerancePerPodCMExternal: stays 3", () => expect(replicas(totalReplicas({ current: 3, total: 8600, targetPerReplica: 2900, tolerance: 0.1 }))).toBe(3));
    it("from zero replicas, a backlog starts workers and none keeps zero", () => {
      expect(replicas(totalReplicas({ current: 0, total: 250, targetPerReplica: 100, tolerance: 0.1 }))).toBe(3);
      expect(replicas(totalReplicas({ current: 0, total: 0, targetPerReplica: 100, tolerance: 0.1 }))).toBe(0);
    });
    it("a drained queue goes down to zero replicas before bounds", () => expect(replicas(totalReplicas({ current: 4, total: 0, targetPerReplica: 100, tolerance: 0.1 }))).toBe(0));
  });
});

describe("autoscale decision", () => {
  const behavior: Behavior = { min: 1, max: 10, cooldownUpMs: 30_000, cooldownDownMs: 60_000, stabilizationMs: 300_000 };
  const rec = (replicas: number, ratio = 2, withinTolerance = false): Recommendation => ({ ok: true, replicas, ratio, observed: ratio, withinTolerance, counted: { withMetric: 1, missing: 0, ignored: 0 } });
  const input = (current: number, r: Recommendation, b: Partial<Behavior> = {}) => ({ behavior: { ...behavior, ...b }, current, updateInProgress: false, recommendation: r });

  it("scales up at once, limited to the larger of +100 % and +4 per step", () => {
    expect(stepLimit(1)).toBe(5);
    expect(stepLimit(10)).toBe(20);
    const d = decide(emptyMemory(), input(1, rec(9), { max: 20 }), 0);
    expect(d).toMatchObject({ reason: "scaled", direction: "up", desired: 5, recommended: 9 });
    expect(d.message).toContain("(step limit 5)");
    expect(decide(emptyMemory(), input(4, rec(6), { max: 5 }), 0).message).toContain("(bounded by [1, 5])");
  });

  it("holds within the tolerance", () => expect(decide(emptyMemory(), input(3, rec(3, 1.05, true)), 0).reason).toBe("tolerance"));

  it("scales down only to the highest recommendation of the stabilization window", () => {
    const m = emptyMemory();
    remember(m, 6, 0, 300_000);
    remember(m, 4, 100_000, 300_000);
    expect(decide(m, input(6, rec(2, 0.3)), 200_000)).toMatchObject({ reason: "stabilization", desired: 6 });
    // Past the window of the 6, the 4 is the highest: down to 4.
    expect(decide(m, input(6, rec(2, 0.3)), 301_000)).toMatchObject({ reason: "scaled", direction: "down", desired: 4 });
    // Past both, down to the raw recommendation.
    expect(decide(m, input(6, rec(2, 0.3)), 401_000)).toMatchObject({ reason: "scaled", desired: 2 });
  });

  it("keeps separate cooldowns for up and down", () => {
    const m = emptyMemory();
    scaled(m, "up", 0);
    expect(decide(m, input(2, rec(4)), 10_000)).toMatchObject({ reason: "cooldown", direction: "none", desired: 2 });
    expect(decide(m, input(2, rec(4)), 31_000).reason).toBe("scaled");
    // A recent scale-up does not hold a scale-down (stabilization is what guards that).
    expect(decide(m, input(4, rec(2, 0.4), { stabilizationMs: 0 }), 10_000)).toMatchObject({ reason: "scaled", direction: "down" });
    scaled(m, "down", 10_000);
    expect(decide(m, input(2, rec(1, 0.4), { stabilizationMs: 0 }), 20_000).reason).toBe("cooldown");
  });

  it("clamps to [min, max] and says so when the bound is where the service is", () => {
    expect(decide(emptyMemory(), input(10, rec(14)), 0)).toMatchObject({ reason: "bounds", desired: 10 });
    expect(decide(emptyMemory(), input(1, rec(0, 0.1), { stabilizationMs: 0 }), 0)).toMatchObject({ reason: "bounds", desired: 1 });
    expect(decide(emptyMemory(), input(8, rec(20), { max: 9 }), 0)).toMatchObject({ reason: "scaled", desired: 9 });
  });

  it("min = max never changes the count", () => {
    for (const r of [rec(1, 0.1), rec(7), rec(3, 1.0, true)]) expect(decide(emptyMemory(), input(3, r, { min: 3, max: 3, stabilizationMs: 0 }), 0).desired).toBe(3);
  });

  it("brings a service outside its bounds back inside, whatever the metric", () => {
    expect(decide(emptyMemory(), input(15, { ok: false, reason: "missing_metrics", message: "none" }), 0)).toMatchObject({ reason: "scaled", direction: "down", desired: 10 });
  });

  it("holds during an update or rollback, and when scaled to 0 by hand", () => {
    expect(decide(emptyMemory(), { ...input(2, rec(8)), updateInProgress: true, updateState: "rollback_started" }, 0).reason).toBe("update_in_progress");
    expect(decide(emptyMemory(), input(0, rec(3)), 0).reason).toBe("bounds");
  });

  it("holds on missing metrics", () => expect(decide(emptyMemory(), input(3, { ok: false, reason: "missing_metrics", message: "no task" }), 0).reason).toBe("missing_metrics"));

  it("remembers recommendations only within the window, boundedly", () => {
    const m = emptyMemory();
    for (let t = 0; t < 20_000; t++) remember(m, 3, t, 1e9);
    expect(m.recommendations.length).toBe(10_000);
    remember(m, 3, 2e9, 1000);
    expect(m.recommendations.length).toBe(1);
  });
});
