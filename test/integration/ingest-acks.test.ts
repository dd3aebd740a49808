import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ingest } from "../../collector/ingest/ingest.js";
import { ensureStreams } from "../../collector/ingest/streams.js";
import { encode, STREAMS, subjectFor, type Envelope } from "../../protocol/index.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { testLog } from "../support/log.js";
import { waitFor } from "../support/wait.js";

const envelope = (seq: number): Envelope => ({
  schema: "vigie.v1",
  kind: "metrics",
  node: { id: "ack-node", hostname: "ack-host" },
  agent: { version: "t", bootId: "boot-ack", seq },
  time: Date.now(),
  payload: { resources: [] },
});

describe("ingest acks", () => {
  let nats: NatsServer;
  let nc: NatsConnection;

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    await ensureStreams(await jetstreamManager(nc), { maxAgeMs: 3_600_000, maxBytes: -1, replicas: 1 });
  });

  afterAll(async () => {
    await nc?.close();
    await nats?.dispose();
  });

  const ackPending = async (durable: string) => (await (await jetstreamManager(nc)).consumers.info(STREAMS.metrics.name, durable)).num_ack_pending;

  it("acks every stored message, many at once", async () => {
    const stored: number[] = [];
    const ingest = new Ingest(nc, {
      durable: "acks-batched",
      maxMessageBytes: 1 << 20,
      store: (env) => {
        stored.push(env.agent.seq);
        return true;
      },
      now: Date.now,
      log: testLog,
      ackDelayMs: 3000,
    });
    await ingest.start(["metrics"]);
    const js = jetstream(nc);
    for (let seq = 1; seq <= 300; seq++) await js.publish(subjectFor("metrics", "ack-node"), encode(envelope(seq)));
    await waitFor("300 messages stored", () => stored.length === 300);
    // 256 acks went out with the 256th message; the rest wait for the delay.
    expect(await ackPending("acks-batched")).toBeGreaterThan(0);
    await waitFor("every ack delivered", async () => (await ackPending("acks-batched")) === 0);
    expect(ingest.stats.accepted).toBe(300);
    await ingest.stop();
  });

  it("sends the waiting acks when stopped: a restart gets nothing again", async () => {
    let stored = 0;
    const options = {
      durable: "acks-stop",
      maxMessageBytes: 1 << 20,
      store: () => {
        stored++;
        return true;
      },
      now: Date.now,
      log: testLog,
      ackDelayMs: 60_000,
    };
    const first = new Ingest(nc, options);
    await first.start(["metrics"]);
    await waitFor("the stream's 300 messages stored", () => stored === 300);
    // The first 256 went out together; the last 44 wait for a minute, or for the stop.
    expect(await ackPending("acks-stop")).toBe(44);
    await first.stop();
    expect(await ackPending("acks-stop")).toBe(0);

    const second = new Ingest(nc, options);
    await second.start(["metrics"]);
    await new Promise((r) => setTimeout(r, 500));
    expect(stored).toBe(300);
    await second.stop();
  });

  it("gives up a message that fails every delivery after maxDeliveries, counts it, and goes on with the rest", async () => {
    const node = "poison-node";
    const js = jetstream(nc);
    const stored: number[] = [];
    let attempts = 0;
    const ingest = new Ingest(nc, {
      durable: "acks-poison",
      maxMessageBytes: 1 << 20,
      store: (env) => {
        if (env.node.id !== node) return true;
        if (env.agent.seq === 2) {
          attempts++;
          throw new Error("disk on fire");
        }
        stored.push(env.agent.seq);
        return true;
      },
      now: Date.now,
      log: testLog,
      maxDeliveries: 3,
    });
    await ingest.start(["metrics"]);
    for (let seq = 1; seq <= 3; seq++) await js.publish(subjectFor("metrics", node), encode({ ...envelope(seq), node: { id: node, hostname: node } }));
    await waitFor("the poison message given up", () => ingest.stats.terminated === 1, 30_000);
    await waitFor("the others stored", () => stored.length === 2);
    expect(stored.sort()).toEqual([1, 3]);
    expect(attempts).toBe(3);
    await new Promise((r) => setTimeout(r, 1500));
    // Terminated: never delivered again.
    expect(attempts).toBe(3);
    await ingest.stop();
  });
});
