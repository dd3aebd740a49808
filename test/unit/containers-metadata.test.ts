import { describe, expect, it } from "vitest";
import { toVigieEvent } from "../../agent/containers/events.js";
import { containerResource, imageName, metaFromInspect, taskSlot } from "../../agent/containers/metadata.js";
import { healthFromStatus } from "../../agent/containers/source.js";
import { swarmIdentity } from "../../agent/identity/swarm.js";

const BASE = { "host.name": "node-a", "node.id": "n1" };
const TASK_LABELS = {
  "com.docker.stack.namespace": "shop",
  "com.docker.swarm.service.name": "shop_api",
  "com.docker.swarm.task.id": "t9x",
  "com.docker.swarm.task.name": "shop_api.3.t9x",
  "com.docker.swarm.node.id": "n1",
};

describe("container resource attributes", () => {
  it("names a stack's task by its service without the stack prefix, with namespace, task, slot and node", () => {
    expect(containerResource({ id: "abc", name: "shop_api.3.t9x", image: "shop/api:2", labels: TASK_LABELS }, BASE)).toEqual({
      ...BASE,
      "container.id": "abc",
      "container.name": "shop_api.3.t9x",
      "container.image.name": "shop/api:2",
      "service.name": "api",
      "service.namespace": "shop",
      "docker.swarm.service.name": "shop_api",
      "docker.swarm.task.id": "t9x",
      "docker.swarm.task.slot": 3,
      "docker.swarm.node.id": "n1",
    });
  });

  it("gives a global service's task no slot (its task name holds the node id)", () => {
    expect(taskSlot("mon_agent", "mon_agent.n1abcdef.t1")).toBeUndefined();
    expect(taskSlot("web", "web.12.t1")).toBe(12);
  });

  it("falls back on the Compose service, then the container name, outside Swarm", () => {
    expect(containerResource({ id: "a", name: "x", image: "i", labels: { "com.docker.compose.service": "db", "com.docker.compose.project": "p" } }, BASE)["service.name"]).toBe("db");
    expect(containerResource({ id: "a", name: "x", image: "i", labels: {} }, BASE)["service.name"]).toBe("x");
  });

  it("drops the digest Swarm pins images with", () => {
    expect(imageName("shop/api:2@sha256:0123")).toBe("shop/api:2");
    expect(imageName("busybox")).toBe("busybox");
  });

  it("takes pid, start time, health, restarts and network mode from inspect, and no start time for 0001-01-01", () => {
    const m = metaFromInspect({
      Id: "abc",
      Name: "/web",
      RestartCount: 2,
      Config: { Image: "img:1", Labels: null },
      HostConfig: { NetworkMode: "host" },
      State: { Status: "running", Pid: 42, StartedAt: "2026-11-27T10:00:00.5Z", OOMKilled: false, Health: { Status: "healthy" } },
    });
    expect(m).toMatchObject({ name: "web", image: "img:1", labels: {}, pid: 42, restartCount: 2, health: "healthy", networkMode: "host", startedAt: Date.parse("2026-11-27T10:00:00.5Z") });
    expect(metaFromInspect({ Id: "x", Name: "/x", State: { StartedAt: "0001-01-01T00:00:00Z" } }).startedAt).toBeUndefined();
  });

  it("knows a container with a CPU quota (--cpus, a service's limit, --cpu-quota) from one without", () => {
    expect(metaFromInspect({ Id: "a", Name: "/a", HostConfig: { NanoCpus: 500_000_000 } }).cpuLimited).toBe(true);
    expect(metaFromInspect({ Id: "b", Name: "/b", HostConfig: { CpuQuota: 50_000 } }).cpuLimited).toBe(true);
    expect(metaFromInspect({ Id: "c", Name: "/c", HostConfig: { NanoCpus: 0, CpuQuota: 0 } }).cpuLimited).toBe(false);
    expect(metaFromInspect({ Id: "d", Name: "/d", HostConfig: { CpuQuota: -1 } }).cpuLimited).toBe(false);
  });

  it("reads the health from docker ps's status column", () => {
    expect(healthFromStatus("Up 3 minutes (healthy)")).toBe("healthy");
    expect(healthFromStatus("Up 1 second (health: starting)")).toBe("starting");
    expect(healthFromStatus("Up 2 hours")).toBeUndefined();
  });
});

describe("docker events as Vigie events", () => {
  const ev = (Action: string, extra: Record<string, string> = {}) => ({
    Type: "container",
    Action,
    Actor: { ID: "abc", Attributes: { name: "shop_api.3.t9x", image: "shop/api:2@sha256:00", ...TASK_LABELS, ...extra } },
    time: 1764237600,
    timeNano: 1764237600000000000,
  });

  it("forwards a die with its exit code and the container's full resource", () => {
    const e = toVigieEvent(ev("die", { exitCode: "137" }), BASE)!;
    expect(e.type).toBe("container");
    expect(e.action).toBe("die");
    expect(e.attributes).toEqual({ "container.exit_code": 137 });
    expect(e.resource).toMatchObject({ "container.id": "abc", "service.name": "api", "docker.swarm.task.slot": 3, "container.image.name": "shop/api:2" });
    expect(e.timeUnixNano).toBe("1764237600000000000");
  });

  it("splits health_status: unhealthy into the action and the status", () => {
    const e = toVigieEvent(ev("health_status: unhealthy"), BASE)!;
    expect(e.action).toBe("health_status");
    expect(e.attributes).toEqual({ "container.health.status": "unhealthy" });
  });

  it("ignores exec and attach events, and events about other objects", () => {
    expect(toVigieEvent(ev("exec_start: sh -c true"), BASE)).toBeUndefined();
    expect(toVigieEvent(ev("attach"), BASE)).toBeUndefined();
    expect(toVigieEvent({ ...ev("create"), Type: "network" }, BASE)).toBeUndefined();
  });

  it("forwards oom, kill, start, restart and destroy", () => {
    for (const a of ["oom", "kill", "start", "restart", "destroy"]) expect(toVigieEvent(ev(a), BASE)?.action).toBe(a);
  });
});

describe("Swarm node identity from the engine", () => {
  it("is the node id and the engine's hostname in an active swarm", async () => {
    expect(await swarmIdentity({ info: async () => ({ Name: "node-a", Swarm: { NodeID: "qu3t0lwju7c4p925009mx5hv", LocalNodeState: "active" } }) })).toEqual({
      nodeId: "qu3t0lwju7c4p925009mx5hv",
      hostname: "node-a",
    });
  });

  it("is undefined outside a swarm", async () => {
    expect(await swarmIdentity({ info: async () => ({ Name: "node-a", Swarm: { NodeID: "", LocalNodeState: "inactive" } }) })).toBeUndefined();
  });

  it("fails when the engine does not answer in time, so identity falls back to the machine id", async () => {
    await expect(swarmIdentity({ info: () => new Promise(() => undefined) }, 20)).rejects.toThrow(/did not answer within 20 ms/);
  });
});
