import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Registry } from "prom-client";
import { afterAll, describe, expect, it } from "vitest";
import { emitterSink, LogsConfigSchema, LogSource, registerLogDropMetrics, splitRecords } from "../../agent/logs/index.js";
import type { Emitter, PayloadOf } from "../../agent/source.js";
import { loadConfig } from "../../cli/config/load.js";
import { agentOptions, collectorOptions } from "../../cli/options.js";
import { encode, MAX_MESSAGE_BYTES, SCHEMA, type Kind, type LogRecord } from "../../protocol/index.js";
import { testLog } from "../support/log.js";
import { waitFor } from "../support/wait.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

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

describe("the log source as one of the agent's sources", () => {
  it("sends logs messages through the emitter and counts rate-limit drops by service in /metrics", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "vigie-logs-wiring-"));
    dirs.push(root);
    const id = "b".repeat(64);
    const logPath = `/var/lib/docker/containers/${id}/${id}-json.log`;
    mkdirSync(path.dirname(path.join(root, logPath)), { recursive: true });
    const lines = Array.from({ length: 50 }, (_, i) => `${JSON.stringify({ log: `line ${i}\n`, stream: "stdout", time: `2026-12-02T15:45:31.${String(i).padStart(9, "0")}Z` })}\n`);
    writeFileSync(path.join(root, logPath), lines.join(""));
    const resource = { "container.id": id, "service.name": "api", "service.namespace": "shop" };
    const sent: { kind: string; records: LogRecord[] }[] = [];
    const emitter: Emitter = {
      emit<K extends Kind>(kind: K, payload: PayloadOf<K>) {
        sent.push({ kind, records: (payload as PayloadOf<"logs">).records });
        return Promise.resolve();
      },
    };
    const source = new LogSource({
      lister: () => Promise.resolve([{ id, name: "shop_api.1.x", labels: {}, logDriver: "json-file", logPath, tty: false, resource }]),
      config: LogsConfigSchema.parse({ pollInterval: 20, multiline: { enabled: false }, rateLimit: { linesPerSecond: 1, burst: 10 } }),
      hostRoot: root,
      stateDir: path.join(root, "state"),
      now: () => 1_764_689_131_000,
      log: testLog,
    });
    const registry = new Registry();
    registerLogDropMetrics(registry, source);
    expect(source.name).toBe("logs");
    source.start(emitter);
    try {
      await waitFor("the first lines", () => sent.flatMap((m) => m.records).length >= 10, 5000);
      await waitFor("the drops", () => source.droppedByService().get("shop_api") === 40, 5000);
    } finally {
      await source.stop();
    }
    expect(sent.every((m) => m.kind === "logs")).toBe(true);
    expect(sent.flatMap((m) => m.records).map((r) => r.body).filter((b) => typeof b === "string" && b.startsWith("line "))).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i}`));
    expect(await registry.metrics()).toContain('vigie_agent_log_lines_dropped_total{service="shop_api"} 40');
    // The clock stood still: no token came back, every line past the burst was dropped. Stopped, the count stays.
    expect(source.droppedByService().get("shop_api")).toBe(40);
  });
});

describe("GET /api/v1/logs level", () => {
  it("is another name for severity, and a disagreement is named", async () => {
    const { parseLogQuery } = await import("../../collector/logs/filter.js");
    const byLevel = parseLogQuery({ level: "error" }, 0, undefined);
    expect(byLevel.ok && byLevel.filter.minSeverity).toBe(17);
    expect(parseLogQuery({ level: "warn", severity: "warn" }, 0, undefined)).toMatchObject({ ok: true, filter: { minSeverity: 13 } });
    expect(parseLogQuery({ level: "warn", severity: "error" }, 0, undefined)).toMatchObject({ ok: false, error: { field: "level" } });
    expect(parseLogQuery({ level: "loud" }, 0, undefined)).toMatchObject({ ok: false, error: { field: "level" } });
  });
});
