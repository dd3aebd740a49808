import type Docker from "dockerode";
import { afterEach, describe, expect, it } from "vitest";
import { AuditTrail } from "../../collector/autoscale/audit.js";
import { Autoscaler } from "../../collector/autoscale/autoscaler.js";
import { ModelMetricReader, ModelServiceReader } from "../../collector/autoscale/model-readers.js";
import type { ActuationResult, AutoscaleService } from "../../collector/autoscale/ports.js";
import { openModel, type ClusterModel } from "../../collector/model/index.js";
import type { ResourceMetrics } from "../../protocol/index.js";
import { testLog } from "../support/log.js";
import { checkResult, container, metricsEnv, statusEnv, T0 } from "../support/model-envelopes.js";

/** A container of `shop_web` (or `service`) running Swarm task `taskId`. */
function task(name: string, cpuSeconds: number, taskId: string | undefined, extra: { state?: string; health?: string; service?: string; workingSet?: number } = {}): ResourceMetrics {
  const r = container(name, cpuSeconds, extra);
  const metrics = extra.workingSet === undefined ? r.metrics : r.metrics.map((m) => (m.name === "container.memory.working_set" ? { ...m, points: [{ value: extra.workingSet as number }] } : m));
  return { resource: { ...r.resource, ...(taskId ? { "docker.swarm.task.id": taskId } : {}) }, metrics };
}

const service = (tasks: { id: string; containerId?: string }[], extra: Partial<AutoscaleService> = {}): AutoscaleService => ({
  id: "svc-web",
  name: "shop_web",
  labels: {},
  version: 7,
  mode: "replicated",
  replicas: tasks.length,
  updateState: "none",
  tasks: tasks.map((t) => ({ ...t, state: "running", ready: true })),
  ...extra,
});

describe("autoscaler readers over the collector's model", () => {
  let model: ClusterModel;
  afterEach(() => model?.close(T0));

  /** Two samples 10 s apart: CPU rates exist from the second one. */
  function feed(node: string, resources: (cpu: number) => ResourceMetrics[], at = T0) {
    model.apply(metricsEnv(node, at, resources(10)), at);
    model.apply(metricsEnv(node, at + 10_000, resources(15)), at + 10_000);
  }

  it("gives each task its container's CPU cores and working set, keyed by the task id its agent reported", async () => {
    let now = T0 + 10_000;
    model = openModel({ now: () => now });
    feed("n1", (cpu) => [task("shop_web.1.a", cpu, "t1", { workingSet: 300 }), task("shop_db.1.x", cpu * 4, "tdb", { service: "db" })]);
    feed("n2", (cpu) => [task("shop_web.2.b", cpu * 2, "t2", { workingSet: 500 })]);
    const reader = new ModelMetricReader(model, () => now);
    const svc = service([{ id: "t1" }, { id: "t2" }, { id: "t3-not-started-yet" }]);
    expect(await reader.cpuCores(svc)).toEqual([
      { taskId: "t1", value: 0.5 },
      { taskId: "t2", value: 1 },
      { taskId: "t3-not-started-yet", value: undefined },
    ]);
    expect(await reader.memoryBytes(svc)).toEqual([
      { taskId: "t1", value: 300 },
      { taskId: "t2", value: 500 },
      { taskId: "t3-not-started-yet", value: undefined },
    ]);
    // Another service's task id is not this service's, even when asked for by id.
    expect(await reader.cpuCores(service([{ id: "tdb" }]))).toEqual([{ taskId: "tdb", value: undefined }]);
    // A node gone silent (stale after 3 of its intervals) no longer speaks for its tasks.
    now = T0 + 10_000 + 31_000;
    expect(await reader.cpuCores(svc)).toEqual([
      { taskId: "t1", value: undefined },
      { taskId: "t2", value: undefined },
      { taskId: "t3-not-started-yet", value: undefined },
    ]);
  });

  it("reads no value for a task claimed twice, a container that is not running, or numbers that are no measurement", async () => {
    const now = T0 + 10_000;
    model = openModel({ now: () => now });
    feed("n1", (cpu) => [
      task("shop_web.1.a", cpu, "twice"),
      task("shop_web.1.b", cpu, "twice"),
      task("shop_web.2.c", cpu, "exited", { state: "exited" }),
      task("shop_web.3.d", cpu, "huge", { workingSet: 2 ** 60 }),
      // An agent that could not read the task id: matched by container id.
      task("shop_web.4.e", cpu, undefined, { workingSet: 42 }),
    ]);
    const reader = new ModelMetricReader(model, () => now);
    const svc = service([{ id: "twice" }, { id: "exited" }, { id: "huge" }, { id: "by-container", containerId: "id-shop_web.4.e" }]);
    expect((await reader.memoryBytes(svc)).map((v) => v.value)).toEqual([undefined, undefined, undefined, 42]);
    expect((await reader.cpuCores(svc)).map((v) => v.value)).toEqual([undefined, undefined, 0.5, 0.5]);
  });

  it("reads check:<path> per task from the numbers of its container's last status body, judged by their age", async () => {
    let now = T0 + 10_000;
    model = openModel({ now: () => now });
    feed("n1", (cpu) => [task("shop_web.1.a", cpu, "t1"), task("shop_web.3.c", cpu, "t3")]);
    feed("n2", (cpu) => [task("shop_web.2.b", cpu, "t2")]);
    const on = (container: string, time: number, values?: Record<string, number>) =>
      checkResult(`container/${container}`, time, { resource: { "container.id": `id-${container}`, "service.name": "web", "service.namespace": "shop" }, ...(values ? { values } : {}) });
    model.apply(statusEnv("n1", now, [on("shop_web.1.a", now, { "queue.depth": 30, "workers[0].load": 0.5 })]), now);
    model.apply(statusEnv("n2", now, [on("shop_web.2.b", now, { "queue.depth": 10 })]), now);
    // A check naming t3's container, but sent by another node: not the task's check.
    model.apply(statusEnv("n2", now, [on("shop_web.3.c", now, { "queue.depth": 99 })]), now);
    const reader = new ModelMetricReader(model, () => now);
    const svc = service([{ id: "t1" }, { id: "t2" }, { id: "t3" }, { id: "t4-no-container" }]);
    expect(await reader.checkValue(svc, "queue.depth")).toEqual([
      { taskId: "t1", value: 30 },
      { taskId: "t2", value: 10 },
      { taskId: "t3", value: undefined },
      { taskId: "t4-no-container", value: undefined },
    ]);
    expect((await reader.checkValue(svc, "workers[0].load")).map((v) => v.value)).toEqual([0.5, undefined, undefined, undefined]);
    expect((await reader.checkValue(svc, "queue")).map((v) => v.value)).toEqual([undefined, undefined, undefined, undefined]);

    // A run without numbers (it timed out) keeps the last ones; a negative number is no load.
    now += 5_000;
    model.apply(metricsEnv("n1", now, [task("shop_web.1.a", 20, "t1"), task("shop_web.3.c", 20, "t3")]), now);
    model.apply(statusEnv("n1", now, [on("shop_web.1.a", now)]), now);
    model.apply(statusEnv("n2", now, [on("shop_web.2.b", now, { "queue.depth": -4 })]), now);
    expect((await reader.checkValue(svc, "queue.depth")).map((v) => v.value)).toEqual([30, undefined, undefined, undefined]);

    // Numbers older than three of the check's intervals (10 s) no longer speak for the task.
    now += 36_000;
    model.apply(metricsEnv("n1", now, [task("shop_web.1.a", 20, "t1"), task("shop_web.3.c", 20, "t3")]), now);
    model.apply(statusEnv("n1", now, [on("shop_web.1.a", now)]), now);
    expect((await reader.checkValue(svc, "queue.depth")).map((v) => v.value)).toEqual([undefined, undefined, undefined, undefined]);
  });

  it("feeds the autoscaler a check's number: over its target per task, the service is scaled up", async () => {
    const now = T0 + 10_000;
    model = openModel({ now: () => now });
    feed("n1", (cpu) => [task("shop_web.1.a", cpu, "t1"), task("shop_web.2.b", cpu, "t2")]);
    const on = (container: string, depth: number) => checkResult(`container/${container}`, now, { resource: { "container.id": `id-${container}` }, values: { "queue.depth": depth } });
    model.apply(statusEnv("n1", now, [on("shop_web.1.a", 30), on("shop_web.2.b", 10)]), now);
    const svc = service([{ id: "t1" }, { id: "t2" }], { labels: { "vigie.autoscale.enabled": "true", "vigie.autoscale.max": "10", "vigie.autoscale.metric": "check:queue.depth", "vigie.autoscale.target": "10" } });
    const calls: number[] = [];
    const audit = new AuditTrail();
    const autoscaler = new Autoscaler({
      services: { services: async () => [svc] },
      metrics: new ModelMetricReader(model, () => now),
      actuator: { scale: async (_id, replicas): Promise<ActuationResult> => (calls.push(replicas), { ok: true, from: 2, to: replicas, version: 7, attempts: 1, dryRun: false }) },
      audit,
      log: testLog,
      now: () => now,
    });
    await autoscaler.tick();
    // Mean 20 against 10 per task: twice the target, 2 → 4.
    expect(calls).toEqual([4]);
    expect(audit.last("shop_web")).toMatchObject({ reason: "scaled", from: 2, to: 4, inputs: { metric: "check:queue.depth", values: [30, 10], observed: 20 } });
  });

  it("feeds the autoscaler: a service over its CPU target is scaled up on the model's numbers, and the record says what they were", async () => {
    const now = T0 + 10_000;
    model = openModel({ now: () => now });
    // 0.5 core per task against a target of 25 % of one core: twice the target.
    feed("n1", (cpu) => [task("shop_web.1.a", cpu, "t1"), task("shop_web.2.b", cpu, "t2")]);
    const svc = service([{ id: "t1" }, { id: "t2" }], { labels: { "vigie.autoscale.enabled": "true", "vigie.autoscale.max": "10", "vigie.autoscale.target": "25%" } });
    const calls: number[] = [];
    const audit = new AuditTrail();
    const autoscaler = new Autoscaler({
      services: { services: async () => [svc] },
      metrics: new ModelMetricReader(model, () => now),
      actuator: { scale: async (_id, replicas): Promise<ActuationResult> => (calls.push(replicas), { ok: true, from: 2, to: replicas, version: 7, attempts: 1, dryRun: false }) },
      audit,
      log: testLog,
      now: () => now,
    });
    await autoscaler.tick();
    expect(calls).toEqual([4]);
    expect(audit.last("shop_web")).toMatchObject({ reason: "scaled", direction: "up", from: 2, to: 4, inputs: { metric: "cpu", values: [0.5, 0.5], capacity: 1 } });
  });

  it("reads services from the engine with each task's readiness from the health its agent reported", async () => {
    model = openModel({ now: () => T0 });
    model.apply(metricsEnv("n1", T0, [task("shop_web.1.a", 1, "t1", { health: "unhealthy" }), task("shop_web.2.b", 1, "t2", { health: "healthy" })]), T0);
    const engine = {
      listServices: async () => [{ ID: "svc-web", Version: { Index: 9 }, Spec: { Name: "shop_web", Labels: { "vigie.autoscale.enabled": "true" }, Mode: { Replicated: { Replicas: 2 } }, TaskTemplate: { Resources: { Limits: { NanoCPUs: 5e8 } } } } }],
      listTasks: async () =>
        ["a", "b"].map((c, i) => ({ ID: `t${i + 1}`, ServiceID: "svc-web", DesiredState: "running", Status: { State: "running", ContainerStatus: { ContainerID: `id-shop_web.${i + 1}.${c}` } } })),
    } as unknown as Docker;
    const reader = new ModelServiceReader(engine, model);
    model.setSwarm("not_manager", undefined);
    expect(await reader.services()).toEqual([]);
    model.setSwarm("manager", undefined);
    const [s] = await reader.services();
    expect(s).toMatchObject({ name: "shop_web", version: 9, replicas: 2, cpuLimitCores: 0.5, labels: { "vigie.autoscale.enabled": "true" } });
    expect(s?.tasks.map((t) => [t.id, t.ready])).toEqual([
      ["t1", false],
      ["t2", true],
    ]);
  });
});
