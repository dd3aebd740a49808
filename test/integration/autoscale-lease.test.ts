import { connect, type NatsConnection } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditTrail } from "../../collector/autoscale/audit.js";
import { Autoscaler } from "../../collector/autoscale/autoscaler.js";
import { KvLease } from "../../collector/autoscale/lease.js";
import { KvMemoryStore } from "../../collector/autoscale/memory-store.js";
import type { ActuationResult, AutoscaleService } from "../../collector/autoscale/ports.js";
import { JetStreamQueueReader } from "../../collector/autoscale/queue.js";
import { uniqueName } from "../support/docker.js";
import { testLog } from "../support/log.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { waitFor } from "../support/wait.js";

/**
 * Two autoscalers on one real nats-server share one lease in JetStream KV and one world (a
 * service whose replicas they may change, scaled on a real consumer's backlog). The holder is
 * killed without releasing the lease: its connection is dropped and its loops stop. The other
 * must take over within the lease's time, and no scale is ever done twice or by both.
 */
describe("autoscaler lease (JetStream KV)", () => {
  const TTL = 3_000;
  let nats: NatsServer;
  let ncA: NatsConnection;
  let ncB: NatsConnection;
  let producer: NatsConnection;

  beforeAll(async () => {
    nats = await startNats();
    ncA = await connect({ servers: nats.url });
    ncB = await connect({ servers: nats.url });
    producer = await connect({ servers: nats.url });
  });
  afterAll(async () => {
    await Promise.all([ncA, ncB, producer].map((nc) => nc?.close().catch(() => {})));
    await nats?.dispose();
  });

  it("lets one autoscaler act; when it is killed the other takes over within the lease time and nothing is done twice", async () => {
    const stream = uniqueName("jobs").replace(/-/g, "_").toUpperCase();
    const jsm = await jetstreamManager(producer);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    await jsm.consumers.add(stream, { durable_name: "workers", ack_policy: AckPolicy.Explicit });

    const world: AutoscaleService = {
      id: "svc-1",
      name: "worker",
      labels: { "vigie.autoscale.enabled": "true", "vigie.autoscale.max": "10", "vigie.autoscale.metric": `nats:${stream}/workers`, "vigie.autoscale.target": "10", "vigie.autoscale.cooldown.up": "0s" },
      version: 1,
      mode: "replicated",
      replicas: 1,
      updateState: "none",
      tasks: [],
    };
    const actions: { by: string; to: number; at: number }[] = [];
    const make = (name: string, nc: NatsConnection) => {
      const lease = new KvLease(nc, { bucket: "vigie_autoscale_test", holderId: name, ttlMs: TTL, log: testLog, now: Date.now });
      const autoscaler = new Autoscaler({
        services: { services: async () => [{ ...world, tasks: [] }] },
        metrics: { cpuCores: async () => [], memoryBytes: async () => [], checkValue: async () => [] },
        queues: new JetStreamQueueReader(jsm),
        actuator: {
          async scale(_id, replicas): Promise<ActuationResult> {
            const from = world.replicas ?? 0;
            actions.push({ by: name, to: replicas, at: Date.now() });
            world.replicas = replicas;
            world.version++;
            return { ok: true, from, to: replicas, version: world.version, attempts: 1, dryRun: false };
          },
        },
        lease,
        audit: new AuditTrail(),
        intervalMs: 250,
        stabilizationMs: 600_000,
        log: testLog,
        now: Date.now,
      });
      lease.start();
      autoscaler.start();
      return { lease, autoscaler };
    };

    const a = make("collector-a", ncA);
    await waitFor("A holds the lease", () => a.lease.held(), 10_000);
    const b = make("collector-b", ncB);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(b.lease.held()).toBe(false);
    expect(b.lease.holder).toBe("collector-a");

    const js = jetstream(producer);
    for (let i = 0; i < 45; i++) await js.publish(`${stream}.job`, "x");
    await waitFor("A scales the worker to 5", () => world.replicas === 5, 10_000);

    // A dies: its connection goes, its loops stop, nothing is released.
    const killedAt = Date.now();
    await a.autoscaler.stop();
    await ncA.close();
    for (let i = 0; i < 45; i++) await js.publish(`${stream}.job`, "x");

    await waitFor("B holds the lease", () => b.lease.held(), 3 * TTL);
    const takeoverMs = Date.now() - killedAt;
    await waitFor("B scales the worker to 9", () => world.replicas === 9, 10_000);
    console.log(`lease takeover ${takeoverMs} ms after the holder was killed (TTL ${TTL} ms, renewed every ${TTL / 3} ms)`);

    // The key disappears at most TTL after the last renewal, and B tries every TTL/3: within the lease time, with room for a loaded machine.
    expect(takeoverMs).toBeLessThanOrEqual(2 * TTL);
    expect(actions.map((x) => [x.by, x.to])).toEqual([
      ["collector-a", 5],
      ["collector-b", 9],
    ]);
    expect(actions.filter((x) => x.by === "collector-a").every((x) => x.at < killedAt)).toBe(true);

    // Holding steady now: the backlog (90) is 9 × target, so another 1.5 s of both loops does nothing.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(actions.length).toBe(2);

    await b.autoscaler.stop();
    await b.lease.stop();
    await a.lease.stop();
  });

  it("a restarted autoscaler honours the cooldown and stabilization window its predecessor left in KV", async () => {
    const stream = uniqueName("tasks").replace(/-/g, "_").toUpperCase();
    const bucket = uniqueName("vigie_autoscale_lease").replace(/-/g, "_");
    const jsm = await jetstreamManager(producer);
    await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
    await jsm.consumers.add(stream, { durable_name: "workers", ack_policy: AckPolicy.Explicit });
    const world: AutoscaleService = {
      id: "svc-2",
      name: "worker",
      labels: { "vigie.autoscale.enabled": "true", "vigie.autoscale.max": "10", "vigie.autoscale.metric": `nats:${stream}/workers`, "vigie.autoscale.target": "10", "vigie.autoscale.cooldown.up": "1h", "vigie.autoscale.cooldown.down": "0s", "vigie.autoscale.stabilization": "1h" },
      version: 1,
      mode: "replicated",
      replicas: 1,
      updateState: "none",
      tasks: [],
    };
    const actions: { by: string; to: number }[] = [];
    const start = (name: string, nc: NatsConnection) => {
      const lease = new KvLease(nc, { bucket: `${bucket}_lease`, holderId: name, ttlMs: TTL, log: testLog, now: Date.now });
      const audit = new AuditTrail();
      const autoscaler = new Autoscaler({
        services: { services: async () => [{ ...world, tasks: [] }] },
        metrics: { cpuCores: async () => [], memoryBytes: async () => [], checkValue: async () => [] },
        queues: new JetStreamQueueReader(jsm),
        actuator: {
          async scale(_id, replicas): Promise<ActuationResult> {
            const from = world.replicas ?? 0;
            actions.push({ by: name, to: replicas });
            world.replicas = replicas;
            world.version++;
            return { ok: true, from, to: replicas, version: world.version, attempts: 1, dryRun: false };
          },
        },
        lease,
        memory: new KvMemoryStore(nc, { bucket: `${bucket}_memory`, log: testLog, now: Date.now }),
        audit,
        intervalMs: 250,
        log: testLog,
        now: Date.now,
      });
      lease.start();
      autoscaler.start();
      return {
        audit,
        async stop() {
          await autoscaler.stop();
          await lease.stop();
        },
      };
    };

    const js = jetstream(producer);
    for (let i = 0; i < 45; i++) await js.publish(`${stream}.job`, "x");
    const first = start("collector-a", ncB);
    await waitFor("the first instance scales the worker to 5", () => world.replicas === 5, 10_000);
    await first.stop();

    // Restarted (a new instance, its memory only in KV), with twice the backlog: the hour-long cooldown holds.
    for (let i = 0; i < 45; i++) await js.publish(`${stream}.job`, "x");
    const restarted = Date.now();
    const second = start("collector-a", ncB);
    const held = await waitFor("a scale-up held by the cooldown", () => second.audit.list({ reason: "cooldown" })[0], 10_000);
    console.log(`restarted autoscaler held by its predecessor's cooldown ${held.time - restarted} ms after it started`);
    expect(held.message).toMatch(/would scale up to 9; last scale-up \d+ s ago, cooldown 3600 s/);

    // The backlog drained: the window still holds the predecessor's recommendation of 5, so no scale-down either.
    await jsm.streams.purge(stream);
    const drained = Date.now();
    await waitFor("a scale-down held by stabilization", () => second.audit.list({ reason: "stabilization", since: drained })[0], 10_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(actions).toEqual([{ by: "collector-a", to: 5 }]);
    expect(world.replicas).toBe(5);
    await second.stop();
  });
});
