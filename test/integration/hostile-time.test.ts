import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCollector, type Collector } from "../../collector/index.js";
import { StateStore } from "../../collector/store/state-store.js";
import { applyMetrics } from "../../collector/store/nodes.js";
import { encode, messageId, subjectFor, type Envelope } from "../../protocol/index.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { uniqueName } from "../support/docker.js";
import { collectorTestOptions } from "../support/vigie.js";
import { waitFor } from "../support/wait.js";

const FAR = 9e15;
const DAY = 86_400_000;

describe("timestamps from agents are bounded (clock-skew policy)", () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let collector: Collector;
  let dataDir: string;
  const node = uniqueName("skew").replace(/[^A-Za-z0-9_-]/g, "-");

  const metrics = (bootId: string, seq: number, time: number): Envelope => ({
    schema: "vigie.v1", kind: "metrics", node: { id: node, hostname: `${node}-host` }, agent: { version: "t", bootId, seq }, time,
    payload: {
      resources: [
        { resource: { "host.name": `${node}-host` }, metrics: [{ name: "system.memory.limit", type: "updowncounter", unit: "By", points: [{ value: 8e9 }] }] },
        { resource: { "container.id": "c1", "container.name": "shop_web.1.x", "service.namespace": "shop", "service.name": "web", "docker.swarm.service.name": "shop_web" }, metrics: [{ name: "container.memory.usage", type: "updowncounter", unit: "By", points: [{ value: 1 }] }] },
      ],
    },
  });
  const status = (seq: number, time: number, stateSince: number): Envelope => ({
    schema: "vigie.v1", kind: "status", node: { id: node, hostname: `${node}-host` }, agent: { version: "t", bootId: "boot-1", seq }, time,
    payload: { results: [{ check: { id: "container/x", name: "x", type: "http", intervalSeconds: 10 }, target: {}, resource: { "service.namespace": "shop" }, time, up: true, status: "pass", state: "up", stateSince, durationSeconds: 0.01 }] },
  });
  const publish = async (env: Envelope) => jetstream(nc).publish(subjectFor(env.kind, env.node.id), encode(env), { msgID: messageId(env.agent.bootId, env.agent.seq) });
  const node$ = async () => {
    const r = await fetch(`${collector.url}/api/v1/nodes/${node}`);
    expect(r.status).toBe(200);
    return (await r.json()) as { sampledAt: string | null; agent: { bootId: string } };
  };

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-skew-"));
    // A node stored by a collector from before the policy, with a sample time no date can hold.
    const old = new StateStore(path.join(dataDir, "collector", "state.db"));
    const stored = { ...metrics("boot-old", 1, FAR), node: { id: `${node}-old`, hostname: "old-host" } } as Envelope;
    old.accept(stored, Date.now(), (prev) => applyMetrics(prev, stored as Extract<Envelope, { kind: "metrics" }>, Date.now()));
    old.close();
    collector = await startCollector(collectorTestOptions(nats.url, dataDir));
  });

  afterAll(async () => {
    await nc?.close();
    await collector?.stop();
    await nats?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("dead-letters far-future times (sample, check run, stateSince) with reason clock_skew, and every route still answers 200", async () => {
    const t = Date.now();
    await publish(metrics("boot-1", 1, FAR));
    await publish(status(2, t, FAR));
    await publish(status(3, FAR, t));
    await publish(metrics("boot-1", 4, t));
    await publish(status(5, t, t - 40 * DAY));
    const jsm = await jetstreamManager(nc);
    await waitFor("three dead letters", async () => (await jsm.streams.info("VIGIE_DEADLETTER")).state.messages === 3);
    for (let seq = 1; seq <= 3; seq++) expect((await jsm.streams.getMessage("VIGIE_DEADLETTER", { seq }))?.header.get("Vigie-Reason")).toBe("clock_skew");
    await waitFor("the valid check", async () => ((await (await fetch(`${collector.url}/api/v1/checks`)).json()) as { checks: unknown[] }).checks.length === 1);
    for (const route of ["/api/v1/nodes", `/api/v1/nodes/${node}-old`, "/api/v1/containers", "/api/v1/services", "/api/v1/tasks", "/api/v1/checks", "/metrics"]) {
      const r = await fetch(`${collector.url}${route}`);
      expect(`${route} ${r.status}`).toBe(`${route} 200`);
    }
    // The node stored before the policy answers with no sample time rather than a 500.
    const old = (await (await fetch(`${collector.url}/api/v1/nodes/${node}-old`)).json()) as { sampledAt: string | null };
    expect(old.sampledAt).toBeNull();
    expect((await node$()).sampledAt).toBe(new Date(t).toISOString());
  });

  it("does not freeze a node after one message a day ahead, and a new boot restarts ordering", async () => {
    const t = Date.now();
    await publish(metrics("boot-1", 6, t + DAY));
    await publish(metrics("boot-1", 7, t + 1000));
    await waitFor("the message after the day-ahead one applied", async () => (await node$()).sampledAt === new Date(t + 1000).toISOString());
    // Within the skew, one message 4 minutes ahead; then the agent restarts with its clock set right.
    await publish(metrics("boot-1", 8, t + 4 * 60_000));
    await waitFor("4 min ahead applied", async () => (await node$()).sampledAt === new Date(t + 4 * 60_000).toISOString());
    await publish(metrics("boot-2", 1, t + 2000));
    const after = await waitFor("the new boot applied", async () => {
      const n = await node$();
      return n.agent.bootId === "boot-2" && n.sampledAt === new Date(t + 2000).toISOString() ? n : undefined;
    });
    expect(after.agent.bootId).toBe("boot-2");
    const metricsText = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metricsText).toMatch(/vigie_ingest_dead_letters_total\{reason="clock_skew"\} 4/);
  });
});
