import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { ensureStreams } from "../../collector/ingest/streams.js";
import { startNats, type NatsServer } from "../../test/support/nats.js";
import { freePort } from "../../test/support/ports.js";
import { childrenOf, dockerdPid, median, processCpuMs, processRssMb, startBenchContainers } from "./measure.js";
import type { BenchContext, CostRow, CostSection } from "./section.js";

const COUNTS = [0, 20, 50];
const IMAGE = "vigie-test/busybox:1";
const MAIN = "dist/cli/main.js";
/**
 * Each agent process is measured over two windows of WINDOW_S seconds: the first minute (from
 * WARMUP_S after start) and the steady state (SETTLE_S after the first window ends, once V8 has
 * compiled what runs every cycle). Overridable for a quick try; AGENT_COST_SETTLE_S=-1 leaves out
 * the steady-state window.
 */
const WARMUP_S = Number(process.env.AGENT_COST_WARMUP_S ?? 10);
const WINDOW_S = Number(process.env.AGENT_COST_WINDOW_S ?? 60);
const SETTLE_S = Number(process.env.AGENT_COST_SETTLE_S ?? 60);
/** The agent's sampling interval (VIGIE_INTERVAL). */
const INTERVAL = process.env.AGENT_COST_INTERVAL ?? "1s";
/** Extra node arguments for the agent process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile it. */
const NODE_ARGS = (process.env.AGENT_COST_NODE_ARGS ?? "").split(" ").filter(Boolean);
/** Steady RSS is the median of the samples taken in this many last seconds of the window. */
const STEADY_S = Math.min(30, WINDOW_S);
/** How often RSS and the agent's children are looked at, ms. */
const POLL_MS = 250;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Values of the agent's own /metrics the bench needs (sums over label sets). */
interface AgentCounters {
  cycles: number;
  published: number;
  wallSum: number;
  wallCount: number;
  containerPoints: number;
  sourceErrors: number;
  publishErrors: number;
  spooled: number;
}

function sumOf(body: string, name: string, labels = ""): number {
  let total = 0;
  for (const line of body.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(" ") || rest.startsWith("{"))) continue;
    if (labels && !rest.includes(labels)) continue;
    total += Number(rest.slice(rest.lastIndexOf(" ") + 1));
  }
  return total;
}

async function scrape(url: string): Promise<AgentCounters> {
  const body = await (await fetch(url)).text();
  return {
    cycles: sumOf(body, "vigie_agent_cycles_total"),
    published: sumOf(body, "vigie_agent_published_messages_total"),
    wallSum: sumOf(body, "vigie_agent_cycle_duration_seconds_sum"),
    wallCount: sumOf(body, "vigie_agent_cycle_duration_seconds_count"),
    containerPoints: sumOf(body, "vigie_agent_samples_total", 'source="containers"'),
    sourceErrors: sumOf(body, "vigie_agent_source_errors_total"),
    publishErrors: sumOf(body, "vigie_agent_publish_errors_total"),
    spooled: sumOf(body, "vigie_agent_spool_messages"),
  };
}

/** Children's CPU the kernel accounted to `pid` once they were reaped (cutime + cstime), ms. */
function reapedChildrenCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) * 10;
}

/**
 * utime + stime of the main thread and of all other threads together (the libuv pool doing the
 * file system work, V8's GC and compiler threads; Node leaves them all named `node`), ms.
 */
function cpuByThread(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const name = tid === String(pid) ? "main thread" : "other threads";
      out.set(name, (out.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/** The compiled CLI as users run it; the build may report errors in files being edited, what matters is that it emitted. */
function build(ctx: BenchContext): void {
  try {
    execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const out = String((err as { stdout?: Buffer }).stdout ?? "").split("\n").slice(0, 5).join(" / ");
    ctx.log(`agent process: tsc -p tsconfig.build.json reported errors (${out}); running what it emitted`);
  }
  if (!existsSync(MAIN)) throw new Error(`${MAIN} missing after the build`);
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * The agent as users run it (`node dist/cli/main.js agent`, interval 1 s, publishing to a real
 * nats-server with JetStream) with 0, 20 and 50 running busybox containers, each measured over its
 * first minute and again in the steady state: CPU per cycle is the
 * process's utime + stime over a window divided by the cycles its own /metrics counted (so
 * publishing, the events stream, timers and GC are all in it); RSS from /proc/<pid>/status;
 * children from /proc (ppid = agent) polled every 250 ms, and the CPU of reaped children.
 */
export const agentProcessSection: CostSection = {
  name: "agent-process",
  async run(ctx: BenchContext): Promise<CostRow[]> {
    execFileSync("bash", ["scripts/docker.sh"], { stdio: ["ignore", "ignore", "inherit"] });
    build(ctx);
    const docker = new Docker({ socketPath: "/var/run/docker.sock" });
    const enginePid = dockerdPid();
    const run = randomBytes(3).toString("hex");
    const rows: CostRow[] = [];
    const started: string[] = [];
    let nats: NatsServer | undefined;
    let agent: ChildProcess | undefined;
    const dataDirs: string[] = [];
    try {
      nats = await startNats();
      // The streams are the collector's to create; without them every publish would fail.
      const nc = await connect({ servers: nats.url });
      await ensureStreams(await jetstreamManager(nc), { maxAgeMs: 24 * 3_600_000, maxBytes: 2 ** 30, replicas: 1 });
      await nc.close();
      for (const n of COUNTS) {
        await startBenchContainers(docker, IMAGE, run, started, n);
        const running = (await docker.listContainers({ filters: { label: [`vigie.bench=${run}`] } })).length;
        const onEngine = (await docker.listContainers()).length;

        const port = await freePort();
        const dataDir = mkdtempSync(path.join(tmpdir(), "vigie-bench-agent-"));
        dataDirs.push(dataDir);
        let stderr = "";
        agent = spawn(process.execPath, [...NODE_ARGS, MAIN, "agent"], {
          stdio: ["ignore", "ignore", "pipe"],
          env: {
            // As the image and the `vigie` command run it (deploy/Dockerfile); override from the environment.
            MALLOC_MMAP_THRESHOLD_: "65536",
            ...process.env,
            VIGIE_INTERVAL: INTERVAL,
            VIGIE_AGENT_LISTEN: `127.0.0.1:${port}`,
            VIGIE_DATA_DIR: dataDir,
            VIGIE_NATS_URL: nats.url,
            VIGIE_LOG_LEVEL: "warn",
          },
        });
        agent.stderr?.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
        const pid = agent.pid!;
        const url = `http://127.0.0.1:${port}/metrics`;
        const t0 = Date.now();
        for (;;) {
          if (agent.exitCode !== null) throw new Error(`agent exited with ${agent.exitCode}:\n${stderr}`);
          if (Date.now() - t0 > 30_000) throw new Error(`agent did not count a cycle within 30 s:\n${stderr}`);
          try {
            if ((await scrape(url)).cycles >= 1) break;
          } catch {
            // not listening yet
          }
          await sleep(200);
        }

        const rss: { t: number; mb: number }[] = [];
        const seenChildren = new Set<number>();
        const poll = async (seconds: number) => {
          const end = Date.now() + seconds * 1000;
          while (Date.now() < end) {
            if (agent?.exitCode !== null) throw new Error(`agent exited with ${agent?.exitCode}:\n${stderr}`);
            rss.push({ t: Date.now(), mb: processRssMb(pid) });
            for (const c of childrenOf(pid)) seenChildren.add(c);
            await sleep(POLL_MS);
          }
        };
        await poll(WARMUP_S);
        let sinceStart = WARMUP_S;
        let maxSoFar = 0;
        const windows: { label: "first minute" | "steady state"; from: number }[] = [{ label: "first minute", from: WARMUP_S }];
        if (SETTLE_S >= 0) windows.push({ label: "steady state", from: WARMUP_S + WINDOW_S + SETTLE_S });
        for (const w of windows) {
          if (w.from > sinceStart) await poll(w.from - sinceStart);
          const warmMaxMb = Math.max(maxSoFar, ...rss.map((s) => s.mb));
          rss.length = 0;
          const before = await scrape(url);
          const cpu0 = processCpuMs(pid);
          const threads0 = cpuByThread(pid);
          const reaped0 = reapedChildrenCpuMs(pid);
          const daemon0 = processCpuMs(enginePid);
          const windowStart = Date.now();
          await poll(WINDOW_S);
          sinceStart = w.from + WINDOW_S;
          const cpuMs = processCpuMs(pid) - cpu0;
          const threads1 = cpuByThread(pid);
          const daemonMs = processCpuMs(enginePid) - daemon0;
          const reapedMs = reapedChildrenCpuMs(pid) - reaped0;
          const after = await scrape(url);
          const seconds = (Date.now() - windowStart) / 1000;
          const cycles = after.cycles - before.cycles;

          const steadyFrom = Date.now() - STEADY_S * 1000;
          const steadyMb = median(rss.filter((s) => s.t >= steadyFrom).map((s) => s.mb));
          const maxMb = Math.max(warmMaxMb, ...rss.map((s) => s.mb));
          // A thread that ended during the window is missing from the end reading (Node keeps its pools for its lifetime).
          const perThread = [...threads1]
            .map(([name, ms]) => [name, ms - (threads0.get(name) ?? 0)] as const)
            .filter(([, ms]) => ms > 0)
            .sort((a, b) => b[1] - a[1])
            .map(([name, ms]) => `${name} ${(ms / Math.max(1, cycles)).toFixed(1)}`)
            .join(", ");
          const wallMeanMs = ((after.wallSum - before.wallSum) / Math.max(1, after.wallCount - before.wallCount)) * 1000;
          const pointsPerCycle = (after.containerPoints - before.containerPoints) / Math.max(1, cycles);
          rows.push({
            what: `Vigie agent process, ${n} running (of ours), per cycle, ${w.label}`,
            cpuMs: cycles > 0 ? cpuMs / cycles : NaN,
            rssMb: steadyMb,
            children: seenChildren.size,
            agent: { containers: n, window: w.label },
            note:
              `interval ${INTERVAL}, ${cycles} cycles in ${seconds.toFixed(0)} s from ${w.from} s after start (${cpuMs} ms CPU in all); ` +
              `CPU ms per cycle by thread: ${perThread}; ` +
              `RSS (median of the window's last ${STEADY_S} s) ${steadyMb.toFixed(1)} MB, max since start ${maxMb.toFixed(1)} MB; ` +
              `mean cycle wall ${wallMeanMs.toFixed(2)} ms; ${running} bench containers running, ${onEngine} on the engine, ${pointsPerCycle.toFixed(0)} container points per cycle; ` +
              `${after.published - before.published} messages acknowledged by JetStream (publish errors ${after.publishErrors - before.publishErrors}, ${after.spooled} left in the spool); source errors ${after.sourceErrors - before.sourceErrors}; ` +
              `reaped children CPU ${reapedMs} ms; dockerd ${(daemonMs / Math.max(1, cycles)).toFixed(2)} ms CPU per cycle`,
          });
          ctx.log(
            `agent process: ${n} running, ${w.label} → ${(cpuMs / Math.max(1, cycles)).toFixed(2)} ms CPU per cycle, RSS ${steadyMb.toFixed(1)} MB (max ${maxMb.toFixed(1)}), ${seenChildren.size} children`,
          );
          maxSoFar = maxMb;
        }
        await stopProcess(agent);
        agent = undefined;
      }
    } finally {
      if (agent) await stopProcess(agent);
      await Promise.all(started.map((id) => docker.getContainer(id).remove({ force: true }).catch(() => undefined)));
      await nats?.dispose();
      for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
    }
    return rows;
  },
};
