import Docker from "dockerode";
import Fastify from "fastify";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { swarmRoutes } from "../../collector/swarm/routes.js";
import { registerSwarmMetrics } from "../../collector/swarm/metrics.js";
import { SwarmWatcher } from "../../collector/swarm/watcher.js";
import type { SwarmService } from "../../collector/swarm/model.js";
import { BUSYBOX, ensureDocker, removeService, uniqueName } from "../support/docker.js";
import { testLog } from "../support/log.js";
import { waitFor } from "../support/wait.js";

/** A replicated busybox service on the host network (loopback only), restarted on failure. */
async function createService(docker: Docker, name: string, cmd: string[], replicas: number, extra: Record<string, unknown> = {}) {
  await docker.createService({
    Name: name,
    Labels: { "vigie.test": "1", "com.docker.stack.namespace": "vigietest" },
    TaskTemplate: {
      ContainerSpec: { Image: BUSYBOX, Command: cmd },
      Networks: [{ Target: "host" }],
      RestartPolicy: { Condition: "any", Delay: 200_000_000, MaxAttempts: 0 },
    },
    Mode: { Replicated: { Replicas: replicas } },
    ...extra,
  } as Docker.CreateServiceOptions);
}

async function updateService(docker: Docker, name: string, change: (spec: Record<string, unknown>) => Record<string, unknown>) {
  for (let attempt = 0; ; attempt++) {
    const svc = docker.getService(name);
    const info = (await svc.inspect()) as { Version: { Index: number }; Spec: Record<string, unknown> };
    try {
      await svc.update({ _query: { version: info.Version.Index }, _body: change(structuredClone(info.Spec)) });
      return;
    } catch (err) {
      if (attempt < 5 && /out of sequence/.test((err as Error).message)) continue;
      throw err;
    }
  }
}

describe("swarm view on the real single-node swarm", () => {
  let docker: Docker;
  let watcher: SwarmWatcher;
  const app = Fastify({ ajv: { customOptions: { removeAdditional: false } } });
  const registry = new Registry();
  const created: string[] = [];
  let selfId = "";

  const service = async (name: string): Promise<SwarmService | undefined> => {
    await watcher.refreshNow();
    return watcher.view()?.services.find((s) => s.name === name);
  };

  beforeAll(async () => {
    docker = await ensureDocker();
    selfId = ((await docker.info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;
    watcher = new SwarmWatcher(docker, { intervalMs: 60_000, log: testLog, failureWindowMs: 120_000, crashLoopThreshold: 3 });
    swarmRoutes(watcher)(app);
    registerSwarmMetrics(registry, () => watcher.view());
    await watcher.refreshNow();
  });

  afterAll(async () => {
    await watcher?.stop();
    const node = docker.getNode(selfId);
    const info = (await node.inspect()) as { Version: { Index: number }; Spec: Record<string, unknown> };
    if (info.Spec.Availability !== "active") await node.update({ version: info.Version.Index, ...info.Spec, Availability: "active" });
    for (const name of created) await removeService(docker, name);
    await app.close();
  });

  it("sees this manager, its quorum and its leadership", async () => {
    expect(watcher.status).toBe("manager");
    const res = await app.inject({ method: "GET", url: "/api/v1/swarm" });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ managers: { total: number; quorumOk: boolean }; nodes: { id: string; role: string; leader: boolean; state: string }[] }>();
    expect(body.managers).toMatchObject({ total: 1, quorumOk: true });
    expect(body.nodes.find((n) => n.id === selfId)).toMatchObject({ role: "manager", leader: true, state: "ready" });
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/vigie_swarm_quorum_ok 1/);
  });

  it("follows a service scaled from 1 to 3 replicas", async () => {
    const name = uniqueName("scale");
    created.push(name);
    await createService(docker, name, ["sleep", "3600"], 1);
    await waitFor("1 running replica", async () => (await service(name))?.running === 1, 60_000, 250);
    await updateService(docker, name, (spec) => ({ ...spec, Mode: { Replicated: { Replicas: 3 } } }));
    expect((await service(name))?.desired).toBe(3);
    const s = await waitFor("3 running replicas", async () => ((await service(name))?.running === 3 ? service(name) : undefined), 60_000, 250);
    expect(s).toMatchObject({ desired: 3, running: 3, healthy: 3, stack: "vigietest", crashLooping: false });
    const metrics = await registry.metrics();
    expect(metrics).toContain(`vigie_swarm_service_replicas_running{service="${name}",stack="vigietest"} 3`);
    const tasks = await app.inject({ method: "GET", url: `/api/v1/swarm/tasks?service=${name}&state=running` });
    expect(tasks.json<{ tasks: { slot: number }[] }>().tasks.map((t) => t.slot).sort()).toEqual([1, 2, 3]);
  });

  it("sees the node drained and re-activated", async () => {
    const setAvailability = async (availability: string) => {
      const node = docker.getNode(selfId);
      const info = (await node.inspect()) as { Version: { Index: number }; Spec: Record<string, unknown> };
      await node.update({ version: info.Version.Index, ...info.Spec, Availability: availability });
    };
    const before = ((await docker.getNode(selfId).inspect()) as { Spec: { Availability: string } }).Spec.Availability;
    await setAvailability("drain");
    try {
      await watcher.refreshNow();
      expect(watcher.view()?.nodes.find((n) => n.id === selfId)?.availability).toBe("drain");
      expect(await registry.metrics()).toMatch(/vigie_swarm_node_availability\{node="[^"]+",availability="drain"\} 1/);
    } finally {
      // Whatever happened above, the node is left as the test found it.
      await setAvailability(before);
    }
    await watcher.refreshNow();
    expect(watcher.view()?.nodes.find((n) => n.id === selfId)?.availability).toBe("active");
  });

  it("flags a service whose tasks crash in a loop", async () => {
    const name = uniqueName("crash");
    created.push(name);
    await createService(docker, name, ["sh", "-c", "sleep 0.2; exit 3"], 1);
    const s = await waitFor("a crash loop", async () => ((await service(name))?.crashLooping ? service(name) : undefined), 90_000, 500);
    expect(s.recentFailures).toBeGreaterThanOrEqual(3);
    expect(s.lastError).toMatch(/exit/);
    expect(await registry.metrics()).toContain(`vigie_swarm_service_crash_looping{service="${name}",stack="vigietest"} 1`);
    const detail = await app.inject({ method: "GET", url: `/api/v1/swarm/services/${name}` });
    expect(detail.json<{ tasks: { state: string }[] }>().tasks.some((t) => t.state === "failed")).toBe(true);
  });

  it("sees an update that fails and is rolled back", async () => {
    const name = uniqueName("rollback");
    created.push(name);
    await createService(docker, name, ["sleep", "3600"], 1, {
      UpdateConfig: { Parallelism: 1, FailureAction: "rollback", Monitor: 3_000_000_000, MaxFailureRatio: 0 },
      RollbackConfig: { Parallelism: 1, Monitor: 1_000_000_000 },
    });
    await waitFor("the service running", async () => (await service(name))?.running === 1, 60_000, 250);
    await updateService(docker, name, (spec) => {
      const tt = spec.TaskTemplate as { ContainerSpec: { Command: string[] } };
      tt.ContainerSpec.Command = ["sh", "-c", "exit 1"];
      return spec;
    });
    const s = await waitFor("the rollback", async () => {
      const x = await service(name);
      return x && x.updateState.startsWith("rollback") ? x : undefined;
    }, 90_000, 500);
    expect(s.updateState).toMatch(/^rollback_(started|completed)$/);
    await waitFor("rollback completed", async () => (await service(name))?.updateState === "rollback_completed", 90_000, 500);
    expect(await registry.metrics()).toContain(`vigie_swarm_service_update_state{service="${name}",stack="vigietest",state="rollback_completed"} 1`);
  });

  it("answers 400 naming an unknown query parameter", async () => {
    const res = await app.inject({ method: "GET", url: "/api/v1/swarm/tasks?bogus=1" });
    expect(res.statusCode).toBe(400);
  });
});
