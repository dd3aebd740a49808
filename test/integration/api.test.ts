import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCollector, type Collector } from "../../collector/index.js";
import { encode, messageId, subjectFor, type Envelope } from "../../protocol/index.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { testLog } from "../support/log.js";
import { waitFor } from "../support/wait.js";

const ADMIN = "admin-token-api-test-0001";
const SHOP = "shop-token-api-test-00001";

function container(id: string, stack: string, svc: string, slot: number, health: string, cpuSeconds: number) {
  return {
    resource: {
      "container.id": id, "container.name": `${stack}_${svc}.${slot}.t${id}`, "container.image.name": `${stack}/${svc}`,
      "service.name": svc, "service.namespace": stack, "docker.swarm.service.name": `${stack}_${svc}`, "docker.swarm.task.slot": slot, "docker.swarm.task.id": `t${id}`,
    },
    metrics: [
      { name: "container.cpu.time", type: "counter" as const, unit: "s", points: [{ attributes: { "cpu.mode": "user" }, value: cpuSeconds }] },
      { name: "container.memory.working_set", type: "updowncounter" as const, unit: "By", points: [{ value: 1e6 }] },
      { name: "vigie.container.state", type: "gauge" as const, unit: "1", points: [{ attributes: { "container.state": "running" }, value: 1 }] },
      { name: "vigie.container.health", type: "gauge" as const, unit: "1", points: [{ attributes: { "container.health.status": health }, value: 1 }] },
    ],
  };
}

function envelope(node: string, seq: number, time: number, containers: ReturnType<typeof container>[]): Envelope {
  return {
    schema: "vigie.v1", kind: "metrics", node: { id: node, hostname: `host-${node}` }, agent: { version: "t", bootId: `boot-${node}`, seq }, time,
    payload: { resources: [{ resource: { "host.name": `host-${node}` }, metrics: [{ name: "system.memory.limit", type: "updowncounter", unit: "By", points: [{ value: 8e9 }] }] }, ...containers] },
  };
}

describe("collector API through real NATS: containers, services, tasks, auth, absence", () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let dataDir: string;
  let collector: Collector;

  const get = async (route: string, token = ADMIN) => {
    const res = await fetch(`${collector.url}${route}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const publish = async (seq: number, time: number) => {
    const js = jetstream(nc);
    // Node a: two replicas of shop_web (one unhealthy), 0.5 s of CPU per second each.
    await js.publish(subjectFor("metrics", "a"), encode(envelope("a", seq, time, [container("1", "shop", "web", 1, "healthy", seq * 0.5), container("2", "shop", "web", 2, "unhealthy", seq * 0.5)])), { msgID: messageId("boot-a", seq) });
    await js.publish(subjectFor("metrics", "b"), encode(envelope("b", seq, time, [container("3", "blog", "db", 1, "none", seq)])), { msgID: messageId("boot-b", seq) });
  };

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-api-"));
    collector = await startCollector({
      natsUrl: nats.url, listen: "127.0.0.1:0", dataDir, streamMaxAgeMs: 3_600_000, streamMaxBytes: -1, streamReplicas: 1, durable: "vigie-collector", log: testLog,
      apiTokens: [{ token: ADMIN, scope: "admin" }, { token: SHOP, scope: "read", stacks: ["shop"] }],
      absence: { defaultIntervalMs: 1000, downAfterMs: 8000 },
    });
    const t = Date.now();
    await publish(1, t - 1000);
    await publish(2, t);
  });
  afterAll(async () => {
    await collector?.stop();
    await nc?.close();
    await nats?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("lists containers with their Swarm identity, state, health and CPU in cores, filtered by stack", async () => {
    const { body } = await waitFor("the containers of both nodes", async () => {
      const r = await get("/api/v1/containers");
      return (r.body.containers as unknown[]).length === 3 ? r : undefined;
    });
    const shop = await get("/api/v1/containers?stack=shop");
    const list = shop.body.containers as { name: string; node: string; slot: number; health: string; state: string; cpuCores: number }[];
    expect(list.map((c) => [c.name, c.node, c.slot, c.state, c.health])).toEqual([["shop_web.1.t1", "host-a", 1, "running", "healthy"], ["shop_web.2.t2", "host-a", 2, "running", "unhealthy"]]);
    expect(list[0]!.cpuCores).toBeCloseTo(0.5, 5);
    expect((body.containers as unknown[]).length).toBe(3);
  });

  it("sums services: running and healthy replicas, CPU and memory", async () => {
    const { body } = await get("/api/v1/services");
    const web = (body.services as { name: string; replicas: unknown; cpuCores: number; memoryWorkingSetBytes: number; nodes: string[] }[]).find((s) => s.name === "shop_web");
    expect(web).toMatchObject({ replicas: { desired: null, running: 2, healthy: 1 }, memoryWorkingSetBytes: 2e6, nodes: ["host-a"] });
    expect(web!.cpuCores).toBeCloseTo(1, 5);
    const tasks = (await get("/api/v1/tasks?service=shop_web")).body.tasks as { slot: number; node: string }[];
    expect(tasks.map((t) => [t.slot, t.node])).toEqual([[1, "host-a"], [2, "host-a"]]);
  });

  it("shows a stack-limited token its stack only, and 401 without a token", async () => {
    const shop = await get("/api/v1/containers", SHOP);
    expect((shop.body.containers as { stack: string }[]).map((c) => c.stack)).toEqual(["shop", "shop"]);
    expect((await get("/api/v1/services/blog_db", SHOP)).status).toBe(404);
    expect((await get("/api/v1/services/blog_db")).status).toBe(200);
    const anonymous = await get("/api/v1/containers", "");
    expect(anonymous.status).toBe(401);
    expect((anonymous.body.error as { code: string }).code).toBe("unauthorized");
  });

  it("counts for a stack-limited token only the containers of its stacks in /api/v1/nodes", async () => {
    const count = (body: Record<string, unknown>) => Object.fromEntries((body.nodes as { id: string; containers: number }[]).map((n) => [n.id, n.containers]));
    expect(count((await get("/api/v1/nodes")).body)).toMatchObject({ a: 2, b: 1 });
    expect(count((await get("/api/v1/nodes", SHOP)).body)).toMatchObject({ a: 2, b: 0 });
    expect(((await get("/api/v1/nodes/b", SHOP)).body as { containers: number }).containers).toBe(0);
  });

  it("answers 400 naming the field for an out-of-range parameter", async () => {
    const r = await get("/api/v1/containers?node=" + encodeURIComponent("bad node!"));
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: "invalid_parameter", field: "node" });
  });

  it("marks a silent node stale, then down, by its hostname, and takes its series out of /metrics", async () => {
    const stale = await waitFor("node a stale", async () => {
      const nodes = (await get("/api/v1/nodes")).body.nodes as { hostname: string; status: string }[];
      return nodes.find((n) => n.hostname === "host-a" && n.status === "stale");
    }, 10_000, 100);
    expect(stale.hostname).toBe("host-a");
    await waitFor("node a down", async () => ((await get("/api/v1/nodes?status=down")).body.nodes as { hostname: string }[]).some((n) => n.hostname === "host-a"), 15_000, 100);
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toContain('vigie_node_status{node="host-a",node_id="a",status="down"} 1');
    expect(metrics).not.toContain('container_memory_working_set_bytes{node="host-a"');
  });
});
