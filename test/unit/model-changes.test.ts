import { afterEach, describe, expect, it } from "vitest";
import { openModel, type ClusterModel, type ModelChange } from "../../collector/model/index.js";
import type { SwarmView } from "../../collector/swarm/model.js";
import { again, checkResult, container, eventsEnv, logsEnv, metricsEnv, statusEnv, T0 } from "../support/model-envelopes.js";

const view = (desired: number, time = T0): SwarmView => ({
  time,
  nodes: [{ id: "n1", hostname: "n1-host", role: "manager", state: "ready", availability: "active", leader: true, reachability: "reachable" }],
  managers: { total: 1, reachable: 1, quorum: 1, quorumOk: true, leader: "n1-host" },
  services: [{ id: "s1", name: "shop_web", stack: "shop", shortName: "web", mode: "replicated", desired, running: 1, healthy: 1, recentFailures: 0, crashLooping: false, updateState: "none" }],
  tasks: [],
});

describe("collector model: what subscribers are told", () => {
  let model: ClusterModel;
  const open = () => (model = openModel({ now: () => T0, absence: { downAfterMs: 60_000, defaultIntervalMs: 10_000 } }));
  afterEach(() => model?.close(T0));

  it("announces new metrics for a node once, not for a redelivered message", () => {
    open();
    const seen: ModelChange[] = [];
    model.on("metrics", (c) => void seen.push(c));
    const env = metricsEnv("n1", T0, [container("shop_web.1.a", 1)]);
    expect(model.apply(env, T0)).toBe(true);
    expect(model.apply(again(env), T0 + 1)).toBe(false);
    expect(seen).toEqual([{ kind: "metrics", nodeId: "n1", hostname: "n1-host", time: T0 }]);
    expect(model.containers().map((c) => c.name)).toEqual(["shop_web.1.a"]);
  });

  it("announces each container event (die, oom) with its node", () => {
    open();
    const seen: ModelChange[] = [];
    model.on("event", (c) => void seen.push(c));
    model.apply(eventsEnv("n1", T0, [{ type: "container", action: "die", resource: { "container.name": "shop_web.1.a" } }, { type: "container", action: "oom", resource: { "container.name": "shop_web.1.a" } }]), T0);
    expect(seen.map((c) => (c.kind === "event" ? `${c.hostname} ${c.event.action}` : c.kind))).toEqual(["n1-host die", "n1-host oom"]);
  });

  it("announces a check's state change, and not a run that keeps it", () => {
    open();
    const seen: ModelChange[] = [];
    model.on("check", (c) => void seen.push(c));
    model.apply(statusEnv("n1", T0, [checkResult("config/api", T0)]), T0);
    model.apply(statusEnv("n1", T0 + 10_000, [checkResult("config/api", T0 + 10_000)]), T0 + 10_000);
    model.apply(statusEnv("n1", T0 + 20_000, [checkResult("config/api", T0 + 20_000, { up: false, status: "fail", state: "down" })]), T0 + 20_000);
    expect(seen.map((c) => (c.kind === "check" ? `${c.checkId} ${c.from ?? "-"}→${c.to}` : c.kind))).toEqual(["config/api -→up", "config/api up→down"]);
    expect(model.checks.list()[0]?.last.state).toBe("down");
  });

  it("announces a Swarm view change, not a new reading that says the same", () => {
    open();
    const seen: ModelChange[] = [];
    model.on("swarm", (c) => void seen.push(c));
    model.setSwarm("manager", view(3));
    model.setSwarm("manager", view(3, T0 + 10_000));
    model.setSwarm("manager", view(5, T0 + 20_000));
    model.setSwarm("not_manager", undefined);
    expect(seen.map((c) => (c.kind === "swarm" ? `${c.status} ${c.view?.services[0]?.desired ?? "-"}` : c.kind))).toEqual(["manager 3", "manager 5", "not_manager -"]);
    expect(model.swarm.status).toBe("not_manager");
  });

  it("announces a node going stale, then down, then reporting again", () => {
    open();
    const seen: string[] = [];
    model.on("nodeStatus", (c) => void seen.push(`${c.hostname} ${c.from ?? "-"}→${c.to}`));
    model.apply(metricsEnv("n1", T0), T0);
    model.sweepNodeStatus(T0 + 5_000);
    model.sweepNodeStatus(T0 + 31_000);
    model.sweepNodeStatus(T0 + 61_000);
    model.apply(metricsEnv("n1", T0 + 70_000), T0 + 70_000);
    expect(seen).toEqual(["n1-host up→stale", "n1-host stale→down", "n1-host down→up"]);
    expect(model.nodeStatus("n1", T0 + 70_000)).toBe("up");
  });

  it("keeps ingesting when a listener throws or rejects, counts it, and still tells the others", async () => {
    open();
    const seen: string[] = [];
    model.subscribe(() => {
      throw new Error("broken listener");
    });
    model.on("metrics", () => Promise.reject(new Error("broken async listener")));
    model.subscribe((c) => void seen.push(c.kind));
    expect(model.apply(metricsEnv("n1", T0), T0)).toBe(true);
    await Promise.resolve();
    expect(seen).toEqual(["metrics"]);
    expect(model.listenerErrors).toBe(2);
    expect(model.nodes(T0).map((n) => n.node.id)).toEqual(["n1"]);
  });

  it("stops telling a listener once it unsubscribed", () => {
    open();
    const seen: string[] = [];
    const off = model.subscribe((c) => void seen.push(c.kind));
    model.apply(metricsEnv("n1", T0), T0);
    off();
    model.apply(metricsEnv("n1", T0 + 10_000), T0 + 10_000);
    expect(seen).toEqual(["metrics"]);
  });
});

describe("collector model: the kind table", () => {
  it("hands logs to an extra handler given at construction, and counts the node as heard from", () => {
    const bodies: string[] = [];
    const model = openModel({ now: () => T0, handlers: { logs: (env) => void bodies.push(...env.payload.records.map((r) => (typeof r.body === "string" ? r.body : JSON.stringify(r.body)))) } });
    try {
      expect(model.apply(logsEnv("n1", T0, "GET / 200"), T0 + 5)).toBe(true);
      expect(bodies).toEqual(["GET / 200"]);
      expect(model.node("n1-host", T0 + 5)?.node.lastSeen).toBe(T0 + 5);
    } finally {
      model.close(T0);
    }
  });

  it("leaves a message unrecorded when its store fails, so that its redelivery is applied", () => {
    let fail = true;
    const model = openModel({
      now: () => T0,
      handlers: {
        logs: () => {
          if (fail) throw new Error("disk full");
        },
      },
    });
    try {
      const env = logsEnv("n1", T0, "x");
      expect(() => model.apply(env, T0)).toThrow(/disk full/);
      fail = false;
      expect(model.apply(again(env), T0 + 1)).toBe(true);
      expect(model.accounting("n1")).toMatchObject({ received: 1, duplicates: 0 });
    } finally {
      model.close(T0);
    }
  });
});
