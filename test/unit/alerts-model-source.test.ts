import { afterEach, describe, expect, it } from "vitest";
import type { EnvelopeOf, ResourceMetrics } from "../../protocol/index.js";
import { ModelAlertSource } from "../../collector/alerts/model-source.js";
import { openModel, type ClusterModel } from "../../collector/model/index.js";
import type { SwarmView } from "../../collector/swarm/model.js";
import { checkResult, container, eventsEnv, metricsEnv, statusEnv, T0 } from "../support/model-envelopes.js";

/** A host resource with CPU time per mode, memory and one filesystem. */
function host(node: string, cpu: { idle: number; user: number }, mem: { available: number; limit: number }, fs: { free: number; used: number }): ResourceMetrics {
  return {
    resource: { "host.name": `${node}-host` },
    metrics: [
      { name: "system.cpu.time", type: "counter", unit: "s", points: [{ attributes: { "cpu.mode": "idle", "cpu.logical_number": 0 }, value: cpu.idle }, { attributes: { "cpu.mode": "user", "cpu.logical_number": 0 }, value: cpu.user }] },
      { name: "system.memory.linux.available", type: "updowncounter", unit: "By", points: [{ value: mem.available }] },
      { name: "system.memory.limit", type: "updowncounter", unit: "By", points: [{ value: mem.limit }] },
      {
        name: "system.filesystem.usage", type: "updowncounter", unit: "By",
        points: [
          { attributes: { "system.device": "/dev/sda1", "system.filesystem.mountpoint": "/", "system.filesystem.state": "free" }, value: fs.free },
          { attributes: { "system.device": "/dev/sda1", "system.filesystem.mountpoint": "/", "system.filesystem.state": "used" }, value: fs.used },
        ],
      },
      { name: "system.filesystem.limit", type: "updowncounter", unit: "By", points: [{ attributes: { "system.device": "/dev/sda1", "system.filesystem.mountpoint": "/" }, value: fs.free + fs.used }] },
    ],
  };
}

function hostEnv(node: string, time: number, r: ResourceMetrics): EnvelopeOf<"metrics"> {
  const env = metricsEnv(node, time);
  return { ...env, payload: { ...env.payload, resources: [r] } };
}

function view(services: SwarmView["services"], managers = { total: 3, reachable: 2, quorum: 2, quorumOk: true }): SwarmView {
  return { time: T0, nodes: [], managers, services, tasks: [] };
}

const service = (name: string, desired: number, running: number, updateState = "none"): SwarmView["services"][number] => ({
  id: name, name, stack: "shop", shortName: name.replace("shop_", ""), mode: "replicated", desired, running, healthy: running, recentFailures: 0, crashLooping: false, updateState,
});

describe("alert source over the collector model", () => {
  let model: ClusterModel;
  afterEach(() => model?.close(T0));

  it("says every node by hostname, 1 while it reports and 0 once it is stale or down", () => {
    model = openModel({ now: () => T0, absence: { downAfterMs: 120_000 } });
    model.apply(metricsEnv("n1", T0), T0);
    model.apply(metricsEnv("n1", T0 + 10_000), T0 + 10_000);
    model.apply(metricsEnv("n2", T0 + 40_000), T0 + 40_000);
    const source = new ModelAlertSource(model);
    expect(source.series("node_reporting", T0, T0 + 45_000)).toEqual([
      { labels: { node: "n1-host" }, points: [[T0 + 45_000, 0]] },
      { labels: { node: "n2-host" }, points: [[T0 + 45_000, 1]] },
    ]);
  });

  it("computes CPU, memory and filesystem use per node from the history, and the free space for predictions", () => {
    model = openModel({ now: () => T0 });
    model.apply(hostEnv("n1", T0, host("n1", { idle: 100, user: 100 }, { available: 4e9, limit: 8e9 }, { free: 50, used: 50 })), T0);
    // 10 s later: 2 s idle, 8 s user → 80% busy; memory 75% used; disk 90% used.
    model.apply(hostEnv("n1", T0 + 10_000, host("n1", { idle: 102, user: 108 }, { available: 2e9, limit: 8e9 }, { free: 10, used: 90 })), T0 + 10_000);
    const source = new ModelAlertSource(model);
    const cpu = source.series("node_cpu_utilization", T0, T0 + 10_000);
    expect(cpu).toHaveLength(1);
    expect(cpu?.[0]?.labels).toEqual({ node: "n1-host" });
    expect(cpu?.[0]?.points.at(-1)?.[1]).toBeCloseTo(80, 6);
    expect(source.series("node_memory_utilization", T0, T0 + 10_000)).toEqual([{ labels: { node: "n1-host" }, points: [[T0, 50], [T0 + 10_000, 75]] }]);
    expect(source.series("node_filesystem_utilization", T0, T0 + 10_000)).toEqual([{ labels: { node: "n1-host", mountpoint: "/" }, points: [[T0, 50], [T0 + 10_000, 90]] }]);
    expect(source.series("node_filesystem_avail_bytes", T0 + 5_000, T0 + 10_000)).toEqual([{ labels: { node: "n1-host", mountpoint: "/" }, points: [[T0 + 10_000, 10]] }]);
  });

  it("counts container exits and OOM kills from events, a Swarm task's successive containers as one, framed by the window", () => {
    model = openModel({ now: () => T0 });
    const source = new ModelAlertSource(model);
    source.attach();
    const task = (id: string) => ({ "container.id": id, "container.name": `shop_web.1.${id}`, "docker.swarm.service.name": "shop_web", "docker.swarm.task.slot": 1, "service.name": "web", "service.namespace": "shop" });
    model.apply(eventsEnv("n1", T0 + 1_000, [{ type: "container", action: "die", resource: task("a") }]), T0 + 1_000);
    model.apply(eventsEnv("n1", T0 + 2_000, [{ type: "container", action: "die", resource: task("b") }, { type: "container", action: "oom", resource: task("b") }]), T0 + 2_000);
    model.apply(eventsEnv("n1", T0 + 3_000, [{ type: "container", action: "die", resource: task("c") }, { type: "container", action: "start", resource: task("d") }]), T0 + 3_000);
    const labels = { node: "n1-host", container: "shop_web.1", service: "shop_web", stack: "shop" };
    expect(source.series("container_restarts", T0 + 1_500, T0 + 10_000)).toEqual([{ labels, points: [[T0 + 1_500, 1], [T0 + 2_000, 2], [T0 + 3_000, 3], [T0 + 10_000, 3]] }]);
    expect(source.series("container_oom_kills", T0, T0 + 10_000)).toEqual([{ labels, points: [[T0, 0], [T0 + 2_000, 1], [T0 + 10_000, 1]] }]);
    source.detach();
    model.apply(eventsEnv("n1", T0 + 4_000, [{ type: "container", action: "die", resource: task("d") }]), T0 + 4_000);
    expect(source.series("container_restarts", T0, T0 + 10_000)?.[0]?.points.at(-1)).toEqual([T0 + 10_000, 3]);
  });

  it("says which containers are unhealthy from their latest metrics", () => {
    model = openModel({ now: () => T0 });
    model.apply(metricsEnv("n1", T0, [container("web-a", 1, { health: "unhealthy" }), container("web-b", 1, { health: "healthy" })]), T0);
    const source = new ModelAlertSource(model);
    const byName = Object.fromEntries((source.series("container_unhealthy", T0, T0 + 1_000) ?? []).map((s) => [s.labels.container, s.points]));
    expect(byName).toEqual({ "web-a": [[T0 + 1_000, 1]], "web-b": [[T0 + 1_000, 0]] });
  });

  it("reads replicas, update state and quorum from the Swarm view, and has no answer without one", () => {
    model = openModel({ now: () => T0 });
    const source = new ModelAlertSource(model);
    expect(source.series("service_replicas_missing", T0, T0 + 1_000)).toBeUndefined();
    expect(source.series("cluster_manager_quorum_margin", T0, T0 + 1_000)).toBeUndefined();
    model.setSwarm("manager", view([service("shop_web", 3, 1), service("shop_db", 1, 1, "paused")]));
    expect(source.series("service_replicas_missing", T0, T0 + 1_000)).toEqual([
      { labels: { service: "shop_web", stack: "shop" }, points: [[T0 + 1_000, 2]] },
      { labels: { service: "shop_db", stack: "shop" }, points: [[T0 + 1_000, 0]] },
    ]);
    expect(source.series("service_update_stuck", T0, T0 + 1_000)?.map((s) => s.points[0]?.[1])).toEqual([0, 1]);
    expect(source.series("cluster_manager_quorum_margin", T0, T0 + 1_000)).toEqual([{ labels: {}, points: [[T0 + 1_000, 0]] }]);
    model.setSwarm("manager", view([], { total: 1, reachable: 1, quorum: 1, quorumOk: true }));
    expect(source.series("cluster_manager_quorum_margin", T0, T0 + 1_000)).toEqual([]);
  });

  it("gives a check's recent runs and its certificate's remaining seconds, and nothing once the check is stale", () => {
    model = openModel({ now: () => T0 });
    const tls = { notAfter: new Date(T0 + 86_400_000).toISOString(), issuer: "ca", subject: "web", authorized: true };
    model.apply(statusEnv("n1", T0, [checkResult("container/web", T0, { tls })]), T0);
    model.apply(statusEnv("n1", T0 + 10_000, [checkResult("container/web", T0 + 10_000, { up: false, status: "fail", tls })]), T0 + 10_000);
    const source = new ModelAlertSource(model);
    const labels = { check: "web", service: "web", node: "n1-host" };
    expect(source.series("check_success", T0, T0 + 15_000)).toEqual([{ labels, points: [[T0, 1], [T0 + 10_000, 0]] }]);
    expect(source.series("check_certificate_expiry", T0, T0 + 15_000)).toEqual([{ labels, points: [[T0 + 15_000, 86_400 - 15]] }]);
    // 3 intervals of 10 s and more without a result: stale, so the alert says its data is missing.
    expect(source.series("check_success", T0, T0 + 60_000)).toEqual([{ labels, points: [] }]);
  });

  it("asks the log store for each service's error rate, and has no answer without it", () => {
    model = openModel({ now: () => T0 });
    model.apply(metricsEnv("n1", T0, [container("shop_web.1.a", 1)]), T0);
    expect(new ModelAlertSource(model).series("log_error_rate", T0, T0 + 60_000)).toBeUndefined();
    const asked: unknown[] = [];
    const source = new ModelAlertSource(model, {
      logRate: (filter, windowMs, now) => {
        asked.push({ filter, windowMs, now });
        return 2.5;
      },
    });
    expect(source.series("log_error_rate", T0, T0 + 60_000)).toEqual([{ labels: { service: "shop_web", stack: "shop" }, points: [[T0 + 60_000, 2.5]] }]);
    expect(asked).toEqual([{ filter: { service: "web", stack: "shop", minSeverity: 17 }, windowMs: 60_000, now: T0 + 60_000 }]);
  });
});
