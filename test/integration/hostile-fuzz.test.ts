import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { DeliverPolicy, jetstream, jetstreamManager, type PubAck } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCollector, type Collector } from "../../collector/index.js";
import { encode, messageId, subjectFor, type Envelope } from "../../protocol/index.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { promtoolCheckMetrics } from "../support/prometheus.js";
import { seededRandom } from "../support/random.js";
import { collectorTestOptions, getJson } from "../support/vigie.js";
import { waitFor } from "../support/wait.js";

const HOSTILE = 100_000;
const VALID = 300;
const MAX_BYTES = 256 * 1024;

type Reason = "malformed_json" | "not_an_object" | "unsupported_version" | "unknown_kind" | "invalid" | "subject_mismatch" | "clock_skew" | "too_large" | "oversized";

/**
 * The classes of hostile message, each with the reason it must be dead-lettered for, and how
 * often it comes (heavy classes rarely: they are big).
 */
function hostile(i: number, now: number, random: () => number): { subject: string; data: Uint8Array | string; reason: Reason } {
  const node = `fuzz-bad-${i % 97}`;
  const subject = subjectFor("metrics", node);
  const env = (over: Record<string, unknown> = {}, payload: unknown = { resources: [] }) =>
    JSON.stringify({ schema: "vigie.v1", kind: "metrics", node: { id: node, hostname: `${node}-host` }, agent: { version: "x", bootId: `b${i}`, seq: i + 1 }, time: now, payload, ...over });
  const host = (metrics: unknown[], resource: Record<string, unknown> = { "host.name": "h" }) => ({ resources: [{ resource, metrics }] });
  const k = i % 20;
  switch (k) {
    case 0: case 1: return { subject, data: env().slice(0, 1 + Math.floor(random() * 60)), reason: "malformed_json" };
    case 2: return { subject, data: Buffer.from(Array.from({ length: 32 }, () => Math.floor(random() * 256)).map((b) => (b === 0x7b ? 0 : b))), reason: "malformed_json" };
    case 3: return { subject, data: ["[1,2]", '"x"', "42", "null"][i % 4] as string, reason: "not_an_object" };
    case 4: return { subject, data: env({ schema: "vigie.v9" }), reason: "unsupported_version" };
    case 5: return { subject, data: env({ kind: "weather" }), reason: "unknown_kind" };
    case 6: return { subject, data: env({ agent: { version: "x", bootId: "b", seq: 0 } }), reason: "invalid" };
    case 7: return { subject, data: env({}, host([{ name: "m", type: "histogram", unit: "1", points: [] }])), reason: "invalid" };
    case 8: return { subject, data: env({}, host([{ name: "m", type: "gauge", unit: "1", points: [{ value: "1" }] }])), reason: "invalid" };
    case 9: return { subject: subjectFor("metrics", "someone-else"), data: env(), reason: "subject_mismatch" };
    case 10: return { subject, data: env({ time: 9e15 }), reason: "clock_skew" };
    case 11: return { subject, data: env({ time: now + 86_400_000 }), reason: "clock_skew" };
    case 12: return { subject, data: env({ time: 1 }), reason: "clock_skew" };
    case 13: {
      const result = { check: { id: "c", name: "c", type: "http", intervalSeconds: 10 }, target: {}, resource: {}, time: now, up: true, status: "pass", state: "up", stateSince: 8.64e15, durationSeconds: 0 };
      return { subject: subjectFor("status", node), data: env({ kind: "status" }, { results: [result] }), reason: "clock_skew" };
    }
    case 14: {
      const attributes = Object.fromEntries(Array.from({ length: 65 }, (_, a) => [`a${a}`, a]));
      return { subject, data: env({}, host([{ name: "m", type: "gauge", unit: "1", points: [{ attributes, value: 1 }] }])), reason: "too_large" };
    }
    case 15: {
      let body: unknown = "deep";
      for (let d = 0; d < 40; d++) body = { d: body };
      const record = { timeUnixNano: `${now}000000`, severityNumber: 9, body, resource: {} };
      return { subject: subjectFor("logs", node), data: env({ kind: "logs" }, { records: [record] }), reason: "too_large" };
    }
    case 16:
      // Heavy ones, rarely (each may hold the pull for its expiry): 10,001 points in one metric; a message past the collector's limit; one of nearly max_payload.
      if (i % 10_000 === 16) return { subject, data: env({}, host([{ name: "m", type: "gauge", unit: "1", points: Array.from({ length: 10_001 }, (_, v) => ({ value: v })) }])), reason: "too_large" };
      if (i % 10_000 === 36) return { subject, data: `{"pad":"${"x".repeat(MAX_BYTES)}"}`, reason: "oversized" };
      if (i % 10_000 === 56) return { subject, data: new Uint8Array(1024 * 1024 - 400).fill(0x20), reason: "oversized" };
      return { subject, data: env({ node: { id: node, hostname: "" } }), reason: "invalid" };
    case 17: return { subject, data: env({}, host([], { "": "empty name" })), reason: "invalid" };
    case 18: return { subject: subjectFor("events", node), data: env({ kind: "events" }, { events: [{ timeUnixNano: "99999999999999999999", type: "container", action: "die", resource: {} }] }), reason: "clock_skew" };
    default: return { subject, data: `{"schema":"vigie.v1","kind":"metrics",${"[".repeat(3000)}`, reason: "malformed_json" };
  }
}

function valid(seq: number, time: number): Envelope {
  return {
    schema: "vigie.v1", kind: "metrics", node: { id: "fuzz-valid", hostname: "fuzz-valid-host" }, agent: { version: "t", bootId: "boot-valid", seq }, time,
    payload: {
      resources: [
        { resource: { "host.name": "fuzz-valid-host" }, metrics: [{ name: "system.cpu.time", type: "counter", unit: "s", points: [{ attributes: { "cpu.mode": "idle", "cpu.logical_number": 0 }, value: seq }] }, { name: "system.memory.limit", type: "updowncounter", unit: "By", points: [{ value: 8e9 }] }] },
        { resource: { "container.id": "c1", "container.name": "shop_web.1.x", "service.namespace": "shop" }, metrics: [{ name: "container.memory.usage", type: "updowncounter", unit: "By", points: [{ value: 1e6 + seq }] }] },
      ],
    },
  };
}

describe("the collector under 100,000 hostile messages beside a valid node", () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let collector: Collector;
  let dataDir: string;

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-fuzz-"));
    collector = await startCollector(collectorTestOptions(nats.url, dataDir, { maxMessageBytes: MAX_BYTES }));
  });

  afterAll(async () => {
    await nc?.close();
    await collector?.stop();
    await nats?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("dead-letters every hostile message with its reason, applies every valid one, and keeps /metrics sound", async () => {
    const js = jetstream(nc);
    const random = seededRandom(12);
    const expected = new Map<Reason, number>();
    const t0 = Date.now();
    let validSeq = 0;
    let pending: Promise<PubAck>[] = [];
    for (let i = 0; i < HOSTILE; i++) {
      const h = hostile(i, Date.now(), random);
      expected.set(h.reason, (expected.get(h.reason) ?? 0) + 1);
      pending.push(js.publish(h.subject, h.data));
      // The valid node publishes among them, in order, as an agent would.
      if (i % Math.floor(HOSTILE / VALID) === 0 && validSeq < VALID) {
        validSeq++;
        pending.push(js.publish(subjectFor("metrics", "fuzz-valid"), encode(valid(validSeq, t0 + validSeq)), { msgID: messageId("boot-valid", validSeq) }));
      }
      if (pending.length >= 500) {
        await Promise.all(pending);
        pending = [];
      }
    }
    await Promise.all(pending);
    expect(validSeq).toBe(VALID);

    const jsm = await jetstreamManager(nc);
    await waitFor("every hostile message dead-lettered", async () => (await jsm.streams.info("VIGIE_DEADLETTER")).state.messages >= HOSTILE, 480_000, 1000);
    expect((await jsm.streams.info("VIGIE_DEADLETTER")).state.messages).toBe(HOSTILE);

    // Each dead letter says why; the reasons are exactly those of the classes sent.
    const seen = new Map<string, number>();
    const consumer = await js.consumers.get("VIGIE_DEADLETTER", { deliver_policy: DeliverPolicy.All });
    const messages = await consumer.consume();
    for await (const m of messages) {
      const reason = m.headers?.get("Vigie-Reason") ?? "";
      seen.set(reason, (seen.get(reason) ?? 0) + 1);
      expect(m.headers?.get("Vigie-Stream-Seq")).toMatch(/^\d+$/);
      if (m.info.pending === 0) break;
    }
    await messages.close();
    expect(Object.fromEntries([...seen].sort())).toEqual(Object.fromEntries([...expected].sort()));

    // The valid node: every message applied, none counted missing.
    const node = await waitFor("the valid node's last message", async () => {
      const n = await getJson<{ sampledAt: string; messages: { received: number; missing: number }; containers: number }>(`${collector.url}/api/v1/nodes/fuzz-valid`);
      return n.messages.received === VALID ? n : undefined;
    });
    expect(node.sampledAt).toBe(new Date(t0 + VALID).toISOString());
    expect(node.messages.missing).toBe(0);
    expect(node.containers).toBe(1);
    expect(collector.ingest.stats.terminated).toBe(0);

    // The counter counts messages, once each.
    const text = await (await fetch(`${collector.url}/metrics`)).text();
    for (const [reason, n] of expected) expect(text).toContain(`vigie_ingest_dead_letters_total{reason="${reason}"} ${n}`);
    const { code, findings } = await promtoolCheckMetrics(text);
    // 3: lint findings only (node_exporter's own camelCase names); 1 would be a text that does not parse.
    expect([0, 3]).toContain(code);
    expect(findings.filter((f) => !/camelCase/.test(f))).toEqual([]);
    // Strictly no two samples with the same name and labels.
    const series = text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.slice(0, l.lastIndexOf(" ")));
    expect(series.length - new Set(series).size).toBe(0);
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200);
  }, 900_000);
});
