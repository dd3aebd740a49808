import { afterEach, describe, expect, it } from "vitest";
import { openModel, resourceKind, type ClusterModel } from "../../collector/model/index.js";
import { container, metricsEnv, T0 } from "../support/model-envelopes.js";

describe("collector model: queries", () => {
  let model: ClusterModel;
  afterEach(() => model?.close(T0));

  it("gives a node's status from its own interval: up, stale after 3 missed intervals, down after the silence", () => {
    model = openModel({ now: () => T0, absence: { downAfterMs: 120_000 } });
    model.apply(metricsEnv("n1", T0), T0);
    model.apply(metricsEnv("n1", T0 + 5_000), T0 + 5_000);
    const at = (ms: number) => model.nodeStatus("n1", T0 + 5_000 + ms);
    expect([at(14_000), at(15_000), at(119_000), at(120_000)]).toEqual(["up", "stale", "stale", "down"]);
    expect(model.nodes(T0 + 20_000)).toMatchObject([{ node: { id: "n1", hostname: "n1-host" }, status: "stale", intervalMs: 5_000 }]);
    expect(model.nodeStatus("nobody", T0)).toBeUndefined();
  });

  it("sums a service's containers: desired from the Swarm view, running, healthy, CPU cores and memory", () => {
    model = openModel({ now: () => T0 });
    const containers = (cpu: number) => [container("shop_web.1.a", cpu), container("shop_web.2.b", cpu, { health: "unhealthy" }), container("shop_db.1.c", cpu, { service: "db", state: "exited" })];
    model.apply(metricsEnv("n1", T0, containers(10)), T0);
    model.apply(metricsEnv("n1", T0 + 10_000, containers(15)), T0 + 10_000);
    model.setSwarm("manager", {
      time: T0,
      nodes: [],
      managers: { total: 1, reachable: 1, quorum: 1, quorumOk: true },
      services: [{ id: "s", name: "shop_web", stack: "shop", shortName: "web", mode: "replicated", desired: 3, running: 2, healthy: 1, recentFailures: 0, crashLooping: false, updateState: "none" }],
      tasks: [],
    });
    expect(model.services()).toEqual([
      { name: "shop_db", stack: "shop", service: "db", replicas: { desired: null, running: 0, healthy: 0 }, nodes: ["n1-host"], cpuCores: 0.5, memoryWorkingSetBytes: 1000, restarts: 0 },
      { name: "shop_web", stack: "shop", service: "web", replicas: { desired: 3, running: 2, healthy: 1 }, nodes: ["n1-host"], cpuCores: 1, memoryWorkingSetBytes: 2000, restarts: 0 },
    ]);
    expect(model.services((c) => c.service === "db").map((s) => s.name)).toEqual(["shop_db"]);
    expect(model.tasks().map((t) => `${t.service} ${t.container} ${t.state}`)).toEqual(["shop_db shop_db.1.c exited", "shop_web shop_web.1.a running", "shop_web shop_web.2.b running"]);
  });

  it("tells a host from a container by one rule, which the node state and the latest values share", () => {
    expect(resourceKind({ "host.name": "n1" })).toBe("host");
    expect(resourceKind({ "container.id": "abc" })).toBe("container");
    expect(resourceKind({ "container.name": "web" })).toBe("container");
    model = openModel({ now: () => T0 });
    // A container known by its name only is a container: not the host's memory, and listed.
    const env = metricsEnv("n1", T0, [{ resource: { "container.name": "web" }, metrics: [{ name: "system.memory.limit", type: "updowncounter", unit: "By", points: [{ value: 1 }] }] }]);
    model.apply(env, T0);
    expect(model.node("n1", T0)?.node.memory?.totalBytes).toBe(8e9);
    expect(model.containers().map((c) => c.name)).toEqual(["web"]);
  });
});
