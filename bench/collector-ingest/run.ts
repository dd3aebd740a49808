import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { PerformanceObserver } from "node:perf_hooks";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { pino } from "pino";
import { startCollector } from "../../collector/index.js";
import { ExpositionRenderer } from "../../collector/exposition/render.js";
import { parseDuration } from "../../lib/index.js";
import { encode, messageId, subjectFor, type EnvelopeOf } from "../../protocol/index.js";
import { startNats } from "../../test/support/nats.js";
import { nodeBatch, pointsOf } from "./batch.js";

/**
 * Collector ingest benchmark: simulated agents (a child process) publish realistic batches
 * through a real nats-server to a collector running in this process.
 *   warm-up: three rounds, stamped two minutes ago, one minute ago and now: series creation and
 *            their registration on disk (one-time costs, counters' included) measured apart.
 *   blast: every node publishes `--blast-rounds` batches as fast as possible → sustained ingest rate.
 *   paced: every node publishes once per `--interval` for `--seconds` → CPU share at that load,
 *          delay from publish to queryable (in the history), p50/p99.
 * Then RSS per 10k series and the /metrics render time.
 */
const { values: args } = parseArgs({
  options: {
    role: { type: "string", default: "collector" },
    nats: { type: "string" },
    nodes: { type: "string", default: "1000" },
    containers: { type: "string", default: "50" },
    interval: { type: "string", default: "10s" },
    seconds: { type: "string", default: "30" },
    "blast-rounds": { type: "string", default: "2" },
    "first-round-age": { type: "string", default: "0" },
    scrapes: { type: "string", default: "5" },
    "seq-start": { type: "string", default: "1" },
    mode: { type: "string", default: "blast" },
    out: { type: "string" },
    command: { type: "string", default: "" },
  },
});
const nodes = Number(args.nodes);
const containers = Number(args.containers);
const intervalMs = parseDuration(args.interval) ?? 10_000;

async function publisher(): Promise<void> {
  const nc = await connect({ servers: args.nats });
  const js = jetstream(nc);
  const inFlight = new Set<Promise<unknown>>();
  let published = 0;
  let bytes = 0;
  const firstRoundAge = Number(args["first-round-age"]);
  const send = async (node: number, seq: number, age = 0) => {
    const data = encode(nodeBatch(node, containers, seq, Date.now() - age));
    bytes += data.byteLength;
    const p = js.publish(subjectFor("metrics", `n${node}`), data, { msgID: messageId(`boot-${node}`, seq), timeout: 60_000 });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    published++;
    if (inFlight.size >= 64) await Promise.race(inFlight);
  };
  const seqStart = Number(args["seq-start"]);
  if (args.mode === "blast") {
    for (let r = 0; r < Number(args["blast-rounds"]); r++) for (let n = 0; n < nodes; n++) await send(n, seqStart + r, r === 0 ? firstRoundAge : 0);
  } else {
    // Paced: every message is encoded before the clock starts, and only its time is written in at
    // send time, so that the publishers (on the same cores as the collector) keep the pace.
    const rounds = Math.max(2, Math.round((Number(args.seconds) * 1000) / intervalMs));
    const encoded: { data: Uint8Array; at: number }[][] = [];
    for (let r = 0; r < rounds; r++) {
      const row: { data: Uint8Array; at: number }[] = [];
      for (let n = 0; n < nodes; n++) {
        const data = encode(nodeBatch(n, containers, seqStart + r, TIME_PLACEHOLDER));
        row.push({ data, at: indexOf(data, TIME_BYTES) + TIME_BYTES.length - 13 });
      }
      encoded.push(row);
    }
    // Encoding is done: the measuring starts now (the collector is told through stdout).
    process.stdout.write("ready\n");
    const start = Date.now();
    for (let r = 0; r < rounds; r++) {
      for (let n = 0; n < nodes; n++) {
        const at = start + r * intervalMs + (n * intervalMs) / nodes;
        const wait = at - Date.now();
        if (wait > 0) await new Promise((res) => setTimeout(res, wait));
        const m = (encoded[r] as { data: Uint8Array; at: number }[])[n] as { data: Uint8Array; at: number };
        m.data.set(new TextEncoder().encode(String(Date.now())), m.at);
        bytes += m.data.byteLength;
        const p = js.publish(subjectFor("metrics", `n${n}`), m.data, { msgID: messageId(`boot-${n}`, seqStart + r), timeout: 60_000 });
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
        published++;
        if (inFlight.size >= 64) await Promise.race(inFlight);
      }
    }
  }
  await Promise.all(inFlight);
  await nc.drain();
  process.stdout.write(JSON.stringify({ published, bytes }));
}

/** A 13-digit time written into pre-encoded messages, then overwritten with the send time. */
const TIME_PLACEHOLDER = 1_111_111_111_111;
const TIME_BYTES = new TextEncoder().encode(`"time":${TIME_PLACEHOLDER}`);

function indexOf(data: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= data.length; i++) {
    for (let k = 0; k < needle.length; k++) if (data[i + k] !== needle[k]) continue outer;
    return i;
  }
  throw new Error("time field not found in an encoded message");
}

function runPublisher(natsUrl: string, mode: string, seqStart: number, blastRounds = Number(args["blast-rounds"]), firstRoundAge = 0, onReady?: () => void): Promise<{ published: number; bytes: number }> {
  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [self, "--role", "publisher", "--nats", natsUrl, "--mode", mode, "--nodes", String(nodes), "--containers", String(containers), "--interval", args.interval, "--seconds", args.seconds, "--blast-rounds", String(blastRounds), "--seq-start", String(seqStart), "--first-round-age", String(firstRoundAge)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (b: Buffer) => {
    out += b.toString();
    if (onReady && out.startsWith("ready\n")) {
      out = out.slice("ready\n".length);
      onReady();
      onReady = undefined;
    }
  });
  return new Promise((resolve, reject) => child.once("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as { published: number; bytes: number }) : reject(new Error(`publisher exited with ${code}`)))));
}

const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const fmt = (n: number, d = 1) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  const nats = await startNats();
  const dataDir = mkdtempSync(path.join(tmpdir(), "vigie-bench-ingest-"));
  const collector = await startCollector({
    natsUrl: nats.url, listen: "127.0.0.1:0", dataDir, streamMaxAgeMs: 3_600_000, streamMaxBytes: -1, streamReplicas: 1, durable: "vigie-collector",
    log: pino({ level: "error" }), history: { intervalMs, maxSeries: 10_000_000 }, absence: { defaultIntervalMs: intervalMs },
  });
  const delays: number[] = [];
  let measuring = false;
  const append = collector.history.append.bind(collector.history);
  collector.history.append = (env: EnvelopeOf<"metrics">) => {
    append(env);
    if (measuring) delays.push(Date.now() - env.time);
  };
  // Time in rollup writes (synchronous, so wall ≈ CPU) and in garbage collection, per phase.
  let flushMs = 0;
  const flush = collector.history.flush.bind(collector.history);
  collector.history.flush = (...a: Parameters<typeof flush>) => {
    const t = performance.now();
    const n = flush(...a);
    flushMs += performance.now() - t;
    return n;
  };
  let gcMs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMs += e.duration;
  });
  gcObserver.observe({ entryTypes: ["gc"] });
  const sample = nodeBatch(0, containers, 1, Date.now());
  const samplesPerMessage = pointsOf(sample);
  const messageBytes = encode(sample).byteLength;
  gc();
  const rssBefore = process.memoryUsage().rss;
  const lines: string[] = [];
  const waitAccepted = async (n: number) => {
    while (collector.ingest.stats.accepted < n) await new Promise((r) => setTimeout(r, 20));
  };

  // Warm-up, apart from the steady state: every node's series are created by a first round stamped
  // two minutes ago; a second round a minute ago closes that minute for every gauge and gives the
  // counters their first rate; a third round (now) closes the counters' first minute. The first
  // rollups (which also register each series on disk, once) are then flushed at once, so that
  // no series is registered during the measured phases.
  const warmupRounds = 3;
  let cpu0 = cpuSeconds();
  let t0 = performance.now();
  const first = await runPublisher(nats.url, "blast", 1, 1, 120_000);
  await waitAccepted(first.published);
  let cpuW = cpuSeconds() - cpu0;
  lines.push(`| first messages (blast, ${fmt(first.published, 0)} messages: every series new) | ${fmt(first.published / ((performance.now() - t0) / 1000))} msg/s | | collector CPU ${fmt(cpuW)} s = ${fmt((1000 * cpuW) / first.published)} ms per message; ${fmt(first.published / cpuW)} msg per CPU-second |`);
  const second = await runPublisher(nats.url, "blast", 2, 1, 60_000);
  await waitAccepted(first.published + second.published);
  const third = await runPublisher(nats.url, "blast", 3, 1);
  await waitAccepted(first.published + second.published + third.published);
  const pending = collector.history.pendingRollups;
  cpu0 = cpuSeconds();
  while (collector.history.flush() > 0);
  cpuW = cpuSeconds() - cpu0;
  lines.push(`| first rollups flushed (${fmt(pending, 0)}: each registers its series on disk, once) | | | CPU ${fmt(cpuW)} s = ${fmt((1e6 * cpuW) / Math.max(1, pending))} µs per series |`);

  // Blast: sustained rate.
  const blastRounds = Number(args["blast-rounds"]);
  const blastMessages = nodes * (warmupRounds + blastRounds);
  cpu0 = cpuSeconds();
  t0 = performance.now();
  const blast = await runPublisher(nats.url, "blast", 1 + warmupRounds);
  await waitAccepted(blastMessages);
  let wall = (performance.now() - t0) / 1000;
  let cpu = cpuSeconds() - cpu0;
  const blastRate = blast.published / wall;
  lines.push(`| sustained ingest (blast, ${fmt(blast.published, 0)} messages) | ${fmt(blastRate)} msg/s | ${fmt(blastRate * samplesPerMessage, 0)} samples/s | collector CPU ${fmt(cpu)} s over ${fmt(wall)} s = ${fmt((100 * cpu) / wall, 0)} % of one core; ${fmt(blast.published / cpu)} msg per CPU-second |`);

  // Paced: the target load.
  const targetRate = (nodes * 1000) / intervalMs;
  // The window opens when the publishers have encoded their messages and start the pace.
  const paced = await runPublisher(nats.url, "paced", warmupRounds + blastRounds + 1, undefined, undefined, () => {
    measuring = true;
    flushMs = 0;
    gcMs = 0;
    cpu0 = cpuSeconds();
    t0 = performance.now();
  });
  await waitAccepted(blastMessages + paced.published);
  wall = (performance.now() - t0) / 1000;
  cpu = cpuSeconds() - cpu0;
  const pacedFlushMs = flushMs;
  const pacedGcMs = gcMs;
  measuring = false;
  lines.push(`| paced at the target (${fmt(paced.published, 0)} messages, ${fmt(targetRate)} msg/s) | ${fmt(paced.published / wall)} msg/s | ${fmt((paced.published / wall) * samplesPerMessage, 0)} samples/s | collector CPU ${fmt(cpu)} s = ${fmt((100 * cpu) / wall, 0)} % of one core, ${fmt((1000 * cpu) / paced.published)} ms per message = ${fmt(paced.published / cpu)} msg per CPU-second; publish → queryable p50 ${fmt(pct(delays, 50), 0)} ms, p99 ${fmt(pct(delays, 99), 0)} ms, max ${fmt(Math.max(...delays), 0)} ms; of the CPU per message: rollup writes ${fmt(pacedFlushMs / paced.published, 2)} ms, garbage collection ${fmt(pacedGcMs / paced.published, 2)} ms (pauses on the main thread) |`);

  // /metrics render.
  const times: number[] = [];
  let size = 0;
  let seriesOut = 0;
  for (let i = 0; i < Math.max(1, Number(args.scrapes)); i++) {
    // A node sending again invalidates its cached part: measure the cold render (first) and warm ones.
    const t = performance.now();
    const text = await (await fetch(`${collector.url}/metrics`)).text();
    times.push(performance.now() - t);
    size = text.length;
    seriesOut = text.split("\n").filter((l) => l && !l.startsWith("#")).length;
  }
  const renderer = new ExpositionRenderer();
  let r0 = performance.now();
  renderer.render(collector.latest.nodes());
  const cold = performance.now() - r0;
  r0 = performance.now();
  renderer.render(collector.latest.nodes());
  const warm = performance.now() - r0;
  lines.push(`| exposition render (in process) | cold ${fmt(cold, 0)} ms | cached ${fmt(warm, 0)} ms | every node rendered / no node sent since |`);
  lines.push(`| GET /metrics (loopback, client in the same process) | ${fmt(seriesOut, 0)} series, ${fmt(size / 2 ** 20)} MiB | first ${fmt(times[0]!, 0)} ms | then median ${times.length > 1 ? fmt(pct(times.slice(1), 50), 0) : "–"} ms (only nodes that sent since are re-rendered) |`);

  // Memory.
  gc();
  await new Promise((r) => setTimeout(r, 200));
  gc();
  const rssAfter = process.memoryUsage().rss;
  const series = collector.history.stats.series;
  const sampleBytes = collector.history.sampleBytes();
  lines.push(`| memory | ${fmt(series, 0)} history series | ${fmt(collector.history.stats.samples, 0)} samples | RSS ${fmt(rssBefore / 2 ** 20, 0)} → ${fmt(rssAfter / 2 ** 20, 0)} MiB = ${fmt((rssAfter - rssBefore) / 2 ** 20 / (series / 10_000))} MiB per 10k series (${fmt((rssAfter - rssBefore) / series, 0)} B/series, of which sample arrays ${fmt(sampleBytes / series, 0)} B for ${fmt(collector.history.stats.samples / series)} samples) |`);

  gcObserver.disconnect();
  await collector.stop();
  await nats.dispose();
  rmSync(dataDir, { recursive: true, force: true });

  const report = [
    `Command: \`${args.command}\``,
    "",
    `Run ${new Date().toISOString()}: ${cpus().length} × ${cpus()[0]?.model ?? "?"}, ${fmt(totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
    `Load: ${nodes} nodes × ${containers} containers, one message per node per ${args.interval} (${fmt(samplesPerMessage, 0)} samples, ${fmt(messageBytes / 1024)} KiB of JSON per message). The collector runs in the bench process; the publishers in a child process; nats-server apart.`,
    "",
    "| phase | rate | samples | notes |",
    "|---|---|---|---|",
    ...lines,
    "",
  ].join("\n");
  process.stdout.write(report);
  if (args.out) writeFileSync(args.out, report);
}

if (args.role === "publisher") await publisher();
else await main();
