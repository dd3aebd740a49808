/**
 * The agent's cost of sending log records, past collection: a read's records cut into `logs`
 * messages (`agent/logs/batches.ts`), wrapped in envelopes, written ahead to the spool and
 * published to a real nats-server's JetStream until every one is acknowledged. Agent CPU (this
 * process, user + system) per 1,000 records. Add it to `logs-collect.md`'s collection cost for
 * the whole way from a container's file to NATS.
 *
 * Usage: node dist/bench-logs-parse/bench/logs-parse/emit.js [--records 100000] [--out FILE]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import pino from "pino";
import { emitterSink } from "../../agent/logs/batches.js";
import { NatsLink } from "../../agent/publish/connection.js";
import { EnvelopeEmitter } from "../../agent/publish/emitter.js";
import { Publisher } from "../../agent/publish/publisher.js";
import { Spool } from "../../agent/publish/spool.js";
import { ensureStreams } from "../../collector/ingest/streams.js";
import type { LogRecord } from "../../protocol/index.js";
import { startNats } from "../../test/support/nats.js";

const { values } = parseArgs({ options: { records: { type: "string", default: "100000" }, out: { type: "string" }, command: { type: "string" } } });
const total = Number(values.records);
/** One 64 KiB read of ~110-character lines, as the log source hands the sink at most. */
const PER_READ = 580;

const resource = {
  "host.name": "bench-node",
  "node.id": "bench-node",
  "container.id": "c".repeat(64),
  "container.name": "shop_api.1.abcdefghijklmnopqrstuvwxy",
  "container.image.name": "registry.example/shop/api:1.4.2",
  "service.name": "api",
  "service.namespace": "shop",
  "docker.swarm.service.name": "shop_api",
  "docker.swarm.task.slot": 1,
};
const record = (i: number): LogRecord => ({
  timeUnixNano: String(1_764_689_131_000_000_000n + BigInt(i) * 1_000_000n),
  observedTimeUnixNano: String(1_764_689_131_000_000_000n + BigInt(i) * 1_000_000n + 500_000n),
  severityNumber: 9,
  severityText: "INFO",
  body: `INFO 2026-12-02 15:45:31 request ${i} GET /api/orders/${i % 977} served in ${i % 300} ms for customer ${i % 5000}`,
  attributes: { "log.iostream": "stdout" },
  resource,
});

const log = pino({ level: "silent" });
const nats = await startNats();
const dir = mkdtempSync(path.join(os.tmpdir(), "vigie-bench-emit-"));
try {
  const nc = await connect({ servers: nats.url });
  await ensureStreams(await jetstreamManager(nc), { maxAgeMs: 3_600_000, maxBytes: -1, replicas: 1 });
  await nc.close();
  const spool = await Spool.open(path.join(dir, "spool"), 1 << 30);
  const publisher = new Publisher(spool, log);
  const emitter = new EnvelopeEmitter({ nodeId: "bench-node", hostname: "bench-node", version: "bench" }, spool, publisher);
  const link = new NatsLink({ url: nats.url, name: "bench" }, publisher, log);
  const sink = emitterSink(emitter, Date.now);
  const reads: LogRecord[][] = [];
  for (let i = 0; i < total; i += PER_READ) reads.push(Array.from({ length: Math.min(PER_READ, total - i) }, (_, k) => record(i + k)));
  while (!link.connected) await new Promise((r) => setTimeout(r, 20));

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const read of reads) await sink(read);
  while (spool.stats.messages > 0) await new Promise((r) => setTimeout(r, 5));
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const messages = emitter.lastSeq;

  await publisher.stop();
  await spool.close();
  await link.close();
  const text = [
    "# logs-emit",
    "",
    "Agent CPU (this process: user + system) to send log records once collected: reads of 580 records (~110-character",
    "bodies, a Swarm container's resource) cut into `logs` messages by `emitterSink`, each written ahead to the spool",
    "and published to a local nats-server's JetStream, until all are acknowledged (nats-server's CPU not counted).",
    "",
    `Command: \`${values.command ?? "node dist/bench-logs-parse/bench/logs-parse/emit.js"}\``,
    `Machine: ${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} cores (shared; load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}), Node ${process.version}, ${new Date().toISOString()}`,
    "",
    "| records | messages | wall s | agent CPU ms / 1,000 records | records/s |",
    "|---|---|---|---|---|",
    `| ${total.toLocaleString("en")} | ${messages.toLocaleString("en")} | ${(wall / 1000).toFixed(1)} | ${((cpuMs / total) * 1000).toFixed(1)} | ${Math.round(total / (wall / 1000)).toLocaleString("en")} |`,
    "",
  ].join("\n");
  process.stdout.write(text);
  if (values.out) writeFileSync(values.out, text);
} finally {
  await nats.dispose();
  rmSync(dir, { recursive: true, force: true });
}
