import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCollector, type Collector } from "../../collector/index.js";
import { encode, type Envelope } from "../../protocol/index.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { collectorTestOptions } from "../support/vigie.js";
import { waitFor } from "../support/wait.js";

const good = (seq: number): Envelope => ({
  schema: "vigie.v1",
  kind: "metrics",
  node: { id: "dl-node", hostname: "dl-host" },
  agent: { version: "t", bootId: "boot-dl", seq },
  time: Date.now(),
  payload: { resources: [] },
});

describe("collector with bad messages", () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let collector: Collector;
  let dataDir: string;

  beforeAll(async () => {
    nats = await startNats();
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-dl-"));
    collector = await startCollector(collectorTestOptions(nats.url, dataDir, { maxMessageBytes: 4096 }));
    nc = await connect({ servers: nats.url });
  });

  afterAll(async () => {
    await nc?.close();
    await collector?.stop();
    await nats?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("moves each malformed message to the dead-letter stream with its reason, counts it, and keeps ingesting", async () => {
    const js = jetstream(nc);
    const bad: [string, string | Uint8Array, string][] = [
      ["vigie.v1.metrics.dl-node", "{not json", "malformed_json"],
      ["vigie.v1.metrics.dl-node", JSON.stringify({ ...good(1), schema: "vigie.v9" }), "unsupported_version"],
      ["vigie.v1.metrics.dl-node", JSON.stringify({ ...good(1), agent: { version: "t", bootId: "b" } }), "invalid"],
      ["vigie.v1.metrics.dl-node", JSON.stringify({ ...good(1), padding: "x".repeat(5000) }), "oversized"],
      ["vigie.v1.logs.dl-node", JSON.stringify(good(1)), "subject_mismatch"],
    ];
    for (const [subject, data] of bad) await js.publish(subject, data);
    await js.publish("vigie.v1.metrics.dl-node", encode(good(1)));

    const jsm = await jetstreamManager(nc);
    await waitFor("five dead letters", async () => (await jsm.streams.info("VIGIE_DEADLETTER")).state.messages === 5);
    const reasons: string[] = [];
    for (let seq = 1; seq <= 5; seq++) {
      const m = await jsm.streams.getMessage("VIGIE_DEADLETTER", { seq });
      expect(m?.header.get("Vigie-Subject")).toMatch(/^vigie\.v1\./);
      expect(m?.header.get("Vigie-Error")).not.toBe("");
      reasons.push(m?.header.get("Vigie-Reason") ?? "");
    }
    expect(reasons.sort()).toEqual(bad.map((b) => b[2]).sort());

    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toMatch(/vigie_ingest_dead_letters_total\{reason="malformed_json"\} 1/);
    expect(metrics).toMatch(/vigie_ingest_dead_letters_total\{reason="oversized"\} 1/);

    // The good message after the bad ones is in.
    const nodes = await waitFor("the good message's node", async () => {
      const body = (await (await fetch(`${collector.url}/api/v1/nodes`)).json()) as { nodes: { id: string }[] };
      return body.nodes.find((n) => n.id === "dl-node");
    });
    expect(nodes.id).toBe("dl-node");
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
  });

  it("dead-letters a message of nearly the server's max_payload, cut to fit, with its size and stream sequence", async () => {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const before = (await jsm.streams.info("VIGIE_DEADLETTER")).state.messages;
    const maxPayload = nc.info?.max_payload ?? 1 << 20;
    const big = new Uint8Array(maxPayload - 300).fill(0x7b); // "{{{{…": neither small nor JSON
    const ack = await js.publish("vigie.v1.metrics.dl-node", big);
    await waitFor("the big message dead-lettered", async () => (await jsm.streams.info("VIGIE_DEADLETTER")).state.messages === before + 1);
    const m = await jsm.streams.getMessage("VIGIE_DEADLETTER", { seq: (await jsm.streams.info("VIGIE_DEADLETTER")).state.last_seq });
    expect(m?.header.get("Vigie-Truncated")).toBe("true");
    expect(m?.header.get("Vigie-Size")).toBe(String(big.byteLength));
    expect(m?.header.get("Vigie-Stream-Seq")).toBe(String(ack.seq));
    expect(m?.header.get("Vigie-Reason")).toBe("oversized");
    expect(m!.data.byteLength).toBeLessThan(big.byteLength);
    // Acked, not redelivered: the consumer has nothing pending, and the count is one message.
    await waitFor("nothing pending", async () => (await jsm.consumers.info("VIGIE_METRICS", "vigie-collector")).num_ack_pending === 0);
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    expect(metrics).toMatch(/vigie_ingest_dead_letters_total\{reason="oversized"\} 2/);
  });
});
