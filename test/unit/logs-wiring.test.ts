import { describe, expect, it } from "vitest";
import { emitterSink, splitRecords } from "../../agent/logs/index.js";
import type { Emitter, PayloadOf } from "../../agent/source.js";
import { loadConfig } from "../../cli/config/load.js";
import { agentOptions, collectorOptions } from "../../cli/options.js";
import { encode, MAX_MESSAGE_BYTES, SCHEMA, type Kind, type LogRecord } from "../../protocol/index.js";
import { testLog } from "../support/log.js";

const record = (body: string): LogRecord => ({
  timeUnixNano: "1764669600000000000",
  severityNumber: 9,
  body,
  attributes: { "log.iostream": "stdout" },
  resource: { "host.name": "n1", "node.id": "n1", "container.id": "c".repeat(64), "service.name": "api", "service.namespace": "shop" },
});

/** The size of a `logs` message carrying `records`, as the emitter encodes it. */
const messageBytes = (records: LogRecord[]) =>
  encode({ schema: SCHEMA, kind: "logs", node: { id: "n1", hostname: "n1" }, agent: { version: "0.0.0", bootId: "00000000-0000-4000-8000-000000000000", seq: 1 }, time: 0, payload: { records } }).byteLength;

describe("log records cut into messages", () => {
  it("keeps every message under NATS' max payload and the wire's record bound, in order", () => {
    // 64 KiB of short lines become far more than 1 MiB of JSON: the agent's worst ordinary batch.
    const records = Array.from({ length: 12_000 }, (_, i) => record(`line ${i} ${"é".repeat(i % 50)}`));
    const batches = splitRecords(records);
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.flat()).toEqual(records);
    for (const b of batches) {
      expect(b.length).toBeLessThanOrEqual(10_000);
      expect(messageBytes(b)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    }
  });

  it("sends a small read as one message", () => {
    expect(splitRecords([record("a"), record("b")])).toHaveLength(1);
    expect(splitRecords([])).toEqual([]);
  });

  it("rejects when the emitter refuses a batch, so the follower keeps its position", async () => {
    const sent: LogRecord[][] = [];
    let calls = 0;
    const emitter: Emitter = {
      emit<K extends Kind>(kind: K, payload: PayloadOf<K>) {
        expect(kind).toBe("logs");
        if (++calls === 2) return Promise.reject(new Error("disk full"));
        sent.push((payload as PayloadOf<"logs">).records);
        return Promise.resolve();
      },
    };
    const sink = emitterSink(emitter, () => 0);
    await expect(sink(Array.from({ length: 12_000 }, (_, i) => record(`line ${i} ${"x".repeat(100)}`)))).rejects.toThrow("disk full");
    expect(sent).toHaveLength(1);
  });
});

describe("logs configuration", () => {
  it("maps agent.logs and collector.logs onto the agent's and collector's options, from the environment too", () => {
    const config = loadConfig({ env: { VIGIE_AGENT_LOGS_ENABLED: "false", VIGIE_AGENT_LOGS_MAX_LINE_BYTES: "32KiB", VIGIE_COLLECTOR_LOGS_RETENTION: "2d", VIGIE_COLLECTOR_LOGS_MAX_BYTES: "10GiB" } });
    expect(agentOptions(config, testLog).logs).toMatchObject({ enabled: false, maxLineBytes: 32 * 1024 });
    expect(collectorOptions(config, testLog).logs).toEqual({ retentionMs: 2 * 86_400_000, maxBytes: 10 * 2 ** 30 });
  });

  it("defaults to logs on, kept 7 days or 1 GiB", () => {
    const config = loadConfig({ env: {} });
    expect(agentOptions(config, testLog).logs).toMatchObject({ enabled: true, maxLineBytes: 16 * 1024 });
    expect(collectorOptions(config, testLog).logs).toEqual({ retentionMs: 7 * 86_400_000, maxBytes: 2 ** 30 });
  });

  it("names the key and value of a bad setting", () => {
    expect(() => loadConfig({ env: { VIGIE_COLLECTOR_LOGS_RETENTION: "soon" } })).toThrow(/VIGIE_COLLECTOR_LOGS_RETENTION.*collector\.logs\.retention/);
  });
});
