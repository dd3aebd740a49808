import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { LatestMetrics } from "../../collector/history/latest.js";
import { MetricsHistory } from "../../collector/history/store.js";
import { StateStore } from "../../collector/store/state-store.js";
import { applyMetrics } from "../../collector/store/nodes.js";
import { decode, encode, type EnvelopeOf } from "../../protocol/index.js";
import { nodeBatch } from "./batch.js";

/**
 * The collector's per-message work without NATS: decode, state store, latest, history, the
 * rollup flush and the history's maintenance (every 15 s of simulated time, as the collector
 * does), on messages encoded before each round. Separates what the collector code costs from the
 * client, the server and a shared machine. Rounds are 10 s apart in simulated time, so every
 * series closes a minute every six rounds; `--steady` last rounds (after the first minute's
 * rollups, which register every series on disk) give the steady-state cost.
 * `--start-times` sends container start and boot times as agents do (seconds with their
 * milliseconds), values float32 cannot hold, so that the history widens those series to float64;
 * the end of the run prints the bytes of samples and how many series were widened.
 * Usage: node inproc.js [--nodes 100] [--containers 50] [--rounds 13] [--steady 6] [--start-times]
 */
const { values: args } = parseArgs({ options: { nodes: { type: "string", default: "100" }, containers: { type: "string", default: "50" }, rounds: { type: "string", default: "13" }, steady: { type: "string", default: "6" }, "start-times": { type: "boolean", default: false } } });
const nodes = Number(args.nodes);
const containers = Number(args.containers);
const rounds = Number(args.rounds);
const dir = mkdtempSync(path.join(tmpdir(), "vigie-inproc-"));
const t0 = Date.UTC(2026, 0, 1);
let clock = t0;
const now = () => clock;
const store = new StateStore(path.join(dir, "state.db"));
const latest = new LatestMetrics();
const history = new MetricsHistory(path.join(dir, "history.db"), { now, intervalMs: 10_000, maxSeries: 10_000_000 });
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const parts = { decode: 0, accept: 0, latest: 0, history: 0, flush: 0, maintain: 0 };
const perRound: number[] = [];
let lastMaintain = t0;
let messages = 0;
const start = cpu();
for (let r = 0; r < rounds; r++) {
  const batch: Uint8Array[] = [];
  for (let n = 0; n < nodes; n++) {
    const env = nodeBatch(n, containers, r + 1, t0 + r * 10_000 + Math.floor((n * 10_000) / nodes));
    if (args["start-times"]) withStartTimes(env as EnvelopeOf<"metrics">, n);
    batch.push(encode(env));
  }
  const b0 = cpu();
  for (let n = 0; n < nodes; n++) {
    clock = t0 + r * 10_000 + Math.floor((n * 10_000) / nodes);
    let t = cpu();
    const d = decode(batch[n] as Uint8Array);
    if (!d.ok) throw d.error;
    const env = d.value as EnvelopeOf<"metrics">;
    let u = cpu();
    parts.decode += u - t;
    t = u;
    const at = clock;
    store.accept(env, at, (prev) => applyMetrics(prev, env, at));
    u = cpu();
    parts.accept += u - t;
    t = u;
    latest.apply(env);
    u = cpu();
    parts.latest += u - t;
    t = u;
    history.append(env);
    u = cpu();
    parts.history += u - t;
    messages++;
    if (n % Math.max(1, Math.floor(nodes / 10)) === 0) {
      t = cpu();
      history.flush(20_000);
      parts.flush += cpu() - t;
    }
    if (clock - lastMaintain >= 15_000) {
      t = cpu();
      history.maintain(clock);
      lastMaintain = clock;
      parts.maintain += cpu() - t;
    }
  }
  const t = cpu();
  while (history.flush(20_000) > 0);
  parts.flush += cpu() - t;
  perRound.push((cpu() - b0) / nodes);
  process.stdout.write(`round ${r + 1}: ${((cpu() - b0) / nodes).toFixed(2)} ms CPU per message; rollups written ${history.stats.rollupsWritten}\n`);
}
const total = cpu() - start;
const steady = perRound.slice(-Number(args.steady));
const steadyMs = steady.reduce((a, b) => a + b, 0) / steady.length;
process.stdout.write(`steady state (last ${steady.length} rounds): ${steadyMs.toFixed(2)} ms CPU per message = ${(1000 / steadyMs).toFixed(1)} msg per CPU-second (${history.stats.series} series)\n`);
process.stdout.write(`${messages} messages, ${(total / messages).toFixed(2)} ms CPU per message (${((1000 * messages) / total).toFixed(1)} msg per CPU-second); per message: ${Object.entries(parts).map(([k, v]) => `${k} ${(v / messages).toFixed(2)} ms`).join(", ")}; series ${history.stats.series}, rollups ${history.stats.rollupsWritten}\n`);
const sampleBytes = history.sampleBytes();
process.stdout.write(`history samples: ${(sampleBytes / 2 ** 20).toFixed(1)} MiB, ${(sampleBytes / history.stats.series).toFixed(1)} bytes per series; ${history.wideSeries()} of ${history.stats.series} series widened to float64\n`);
history.close();
store.close();
rmSync(dir, { recursive: true, force: true });

/** Start and boot times as agents send them: Unix seconds with milliseconds (`startedAt / 1000`). */
function withStartTimes(env: EnvelopeOf<"metrics">, node: number): void {
  for (const r of env.payload.resources) {
    for (const m of r.metrics) {
      if (m.name !== "vigie.container.start_time" && m.name !== "vigie.system.boot_time") continue;
      // Boot time: whole seconds (/proc/stat); a container's start: seconds with milliseconds.
      const slot = Number(r.resource["docker.swarm.task.slot"] ?? 0);
      for (const p of m.points) p.value = m.name === "vigie.system.boot_time" ? 1_767_225_601 + 2 * node : 1_767_225_600 + node * 7.919 + slot * 0.137 + 0.001;
    }
  }
}
