import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DURABILITY, EnvelopeEmitter } from "../../agent/publish/emitter.js";
import { Publisher } from "../../agent/publish/publisher.js";
import { Spool } from "../../agent/publish/spool.js";
import { SamplingLoop } from "../../agent/sampling.js";
import { createAgentMetrics } from "../../agent/selfmetrics.js";
import { containersSample, type MetricSource } from "../../agent/source.js";
import { KINDS, type ResourceMetrics } from "../../protocol/index.js";
import { payloadsOf, recordingEmitter } from "../support/emitter.js";
import { testLog } from "../support/log.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function emitterOnDisk() {
  const dir = mkdtempSync(path.join(tmpdir(), "vigie-emitter-"));
  dirs.push(dir);
  // A spool that would write nothing behind for a minute, and a publisher with no NATS.
  const spool = await Spool.open(dir, 1 << 20, { writeAfterMs: 60_000 });
  const publisher = new Publisher(spool, testLog);
  const emitter = new EnvelopeEmitter({ nodeId: "n1", hostname: "node-a", version: "test" }, spool, publisher);
  const files = () => readdirSync(dir).map((n) => readFileSync(path.join(dir, n), "utf8"));
  return { emitter, spool, files };
}

describe("EnvelopeEmitter (the agent's one way out)", () => {
  it("has a durability for every kind on the wire", () => {
    expect(Object.keys(DURABILITY).sort()).toEqual([...KINDS].sort());
  });

  it("writes events and logs ahead: on disk when emit resolves", async () => {
    const { emitter, files } = await emitterOnDisk();
    await emitter.emit("events", { events: [{ timeUnixNano: "1", type: "container", action: "die", resource: { "container.id": "c1" } }] }, 1_000);
    await emitter.emit("logs", { records: [] }, 1_000);
    const written = files();
    expect(written).toHaveLength(2);
    expect(written[0]).toMatch(/^vigie\.v1\.events\.n1\n[^\n]+:1\n/);
    expect(written[0]).toContain('"action":"die"');
    expect(written[1]).toMatch(/^vigie\.v1\.logs\.n1\n/);
  });

  it("writes metrics and status behind: held in memory, not on disk, when emit resolves", async () => {
    const { emitter, spool, files } = await emitterOnDisk();
    await emitter.emit("metrics", { resources: [] }, 1_000);
    await emitter.emit("status", { results: [], active: [] }, 1_000);
    expect(files()).toEqual([]);
    expect(spool.size).toBe(2);
    expect(emitter.lastSeq).toBe(2);
  });

  it("rejects a record it cannot write ahead, and keeps nothing of it", async () => {
    const { emitter, spool } = await emitterOnDisk();
    rmSync(spool.dir, { recursive: true });
    await expect(emitter.emit("events", { events: [] }, 1_000)).rejects.toThrow();
    expect(spool.size).toBe(0);
  });
});

describe("SamplingLoop", () => {
  const resource = (id: string): ResourceMetrics => ({ resource: { "container.id": id }, metrics: [] });
  const metrics = () => createAgentMetrics({ published: 0, duplicates: 0, errors: 0, replayed: 0, recovered: 0 }, { messages: 0, bytes: 0, droppedMessages: 0, droppedBytes: 0, writtenMessages: 0, writeErrors: 0 }, () => false);

  function loop(sources: MetricSource[]) {
    const emitter = recordingEmitter();
    const l = new SamplingLoop({ intervalMs: 60_000, sources, metrics: metrics(), log: testLog, spanAttributes: {}, now: () => 5_000 });
    return { l, emitter };
  }

  it("emits one metrics message per cycle with every source's resources and the containers' completeness", async () => {
    let complete = true;
    const { l, emitter } = loop([
      { name: "host", sample: async () => [resource("host")] },
      { name: "containers", sample: async () => containersSample(complete ? [resource("c1")] : [], complete) },
    ]);
    l.start(emitter);
    await l.stop(); // the run at start is waited for
    complete = false;
    l.start(emitter);
    await l.stop();
    const sent = payloadsOf(emitter.records, "metrics");
    expect(sent.map((p) => p.resources.length)).toEqual([2, 1]);
    expect(sent.map((p) => p.containersComplete)).toEqual([true, false]);
    expect(emitter.records.every((r) => r.time === 5_000)).toBe(true);
  });

  it("claims nothing about containers when no source says (or the containers source failed)", async () => {
    const { l, emitter } = loop([
      { name: "host", sample: async () => [resource("host")] },
      { name: "containers", sample: () => Promise.reject(new Error("EACCES")) },
    ]);
    l.start(emitter);
    await l.stop();
    const [sent] = payloadsOf(emitter.records, "metrics");
    expect(sent?.resources).toHaveLength(1);
    expect(sent && "containersComplete" in sent).toBe(false);
  });
});
