import { describe, expect, it } from "vitest";
import { buildView, type ApiNode, type ApiService, type ApiTask } from "../../collector/swarm/model.js";

const NOW = Date.parse("2026-11-27T12:00:00Z");
const ago = (s: number) => new Date(NOW - s * 1000).toISOString();

const manager = (id: string, host: string, reach: string, leader = false): ApiNode => ({
  ID: id,
  Description: { Hostname: host },
  Spec: { Role: "manager", Availability: "active" },
  Status: { State: reach === "reachable" ? "ready" : "down" },
  ManagerStatus: { Leader: leader, Reachability: reach },
});
const worker = (id: string, host: string, availability = "active", state = "ready"): ApiNode => ({
  ID: id,
  Description: { Hostname: host },
  Spec: { Role: "worker", Availability: availability },
  Status: { State: state },
});
const service = (id: string, name: string, replicas?: number, extra: Partial<ApiService> = {}): ApiService => ({
  ID: id,
  Spec: {
    Name: name,
    Labels: name.includes("_") ? { "com.docker.stack.namespace": name.split("_")[0]! } : {},
    Mode: replicas === undefined ? { Global: {} } : { Replicated: { Replicas: replicas } },
    TaskTemplate: { ContainerSpec: { Image: "shop/api:1.2@sha256:abcdef0123" } },
  },
  ...extra,
});
const task = (id: string, svc: string, state: string, at: number, extra: Partial<ApiTask> = {}): ApiTask => ({
  ID: id,
  ServiceID: svc,
  NodeID: "w1",
  DesiredState: state === "running" ? "running" : "shutdown",
  Status: { State: state, Timestamp: ago(at), ContainerStatus: { ContainerID: `c-${id}` } },
  ...extra,
});

describe("swarm view", () => {
  it("computes quorum from reachable managers", () => {
    const ok = buildView([manager("m1", "a", "reachable", true), manager("m2", "b", "reachable"), manager("m3", "c", "unreachable")], [], [], NOW);
    expect(ok.managers).toEqual({ total: 3, reachable: 2, quorum: 2, quorumOk: true, leader: "a" });
    const lost = buildView([manager("m1", "a", "reachable", true), manager("m2", "b", "unreachable"), manager("m3", "c", "unreachable")], [], [], NOW);
    expect(lost.managers.quorumOk).toBe(false);
  });

  it("reports node role, state and availability by hostname", () => {
    const v = buildView([worker("w1", "worker-1", "drain"), worker("w2", "worker-2", "active", "down")], [], [], NOW);
    expect(v.nodes.map((n) => [n.hostname, n.role, n.state, n.availability])).toEqual([
      ["worker-1", "worker", "ready", "drain"],
      ["worker-2", "worker", "down", "active"],
    ]);
  });

  it("counts desired, running and healthy replicas, with the stack split off", () => {
    const tasks = [task("t1", "s1", "running", 60), task("t2", "s1", "running", 60), task("t3", "s1", "shutdown", 600)];
    const v = buildView([worker("w1", "w")], [service("s1", "shop_api", 3)], tasks, NOW, {
      containerHealth: (id) => (id === "c-t2" ? "unhealthy" : "healthy"),
    });
    expect(v.services[0]).toMatchObject({ name: "shop_api", stack: "shop", shortName: "api", desired: 3, running: 2, healthy: 1, image: "shop/api:1.2", crashLooping: false });
  });

  it("takes a global service's desired count from the engine, else from active ready nodes", () => {
    const nodes = [worker("w1", "a"), worker("w2", "b"), worker("w3", "c", "drain")];
    expect(buildView(nodes, [service("g", "agent")], [], NOW).services[0]!.desired).toBe(2);
    expect(buildView(nodes, [service("g", "agent", undefined, { ServiceStatus: { DesiredTasks: 5 } })], [], NOW).services[0]!.desired).toBe(5);
  });

  it("calls it a crash loop when enough tasks failed within the window", () => {
    const fails = [task("f1", "s", "failed", 10), task("f2", "s", "failed", 50), task("f3", "s", "rejected", 100), task("f4", "s", "failed", 900)];
    fails[0]!.Status!.Err = "task: non-zero exit (1)";
    const v = buildView([], [service("s", "web", 1)], fails, NOW);
    expect(v.services[0]).toMatchObject({ recentFailures: 3, crashLooping: true, lastError: "task: non-zero exit (1)" });
    const calm = buildView([], [service("s", "web", 1)], fails.slice(0, 2), NOW);
    expect(calm.services[0]!.crashLooping).toBe(false);
  });

  it("passes the update state through (paused, rolled back)", () => {
    const v = buildView([], [service("s", "web", 1, { UpdateStatus: { State: "rollback_completed", Message: "rollback completed" } })], [], NOW);
    expect(v.services[0]).toMatchObject({ updateState: "rollback_completed", updateMessage: "rollback completed" });
    expect(buildView([], [service("s", "web", 1)], [], NOW).services[0]!.updateState).toBe("none");
  });
});
