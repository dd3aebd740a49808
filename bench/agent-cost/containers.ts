import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import os from "node:os";
import Docker from "dockerode";
import { pino } from "pino";
import { ContainerSource, DockerEngine, dockerApi } from "../../agent/containers/index.js";
import { childrenOf, countSpawns, dockerdPid, median, processCpuMs, startBenchContainers } from "./measure.js";
import type { BenchContext, CostRow, CostSection } from "./section.js";

const COUNTS = [0, 20, 50];
const IMAGE = "vigie-test/busybox:1";

/**
 * The containers source with 0, 20 and 50 running containers on the local engine (started by
 * scripts/docker.sh, busybox `sleep` with their own empty network namespace, so `net/dev` is
 * read too): agent CPU per cycle — the cgroup files of every container, and the engine's list
 * every 6th cycle while the events stream is connected — and the engine's own CPU meanwhile.
 */
export const containersSection: CostSection = {
  name: "containers",
  async run(ctx: BenchContext): Promise<CostRow[]> {
    execFileSync("bash", ["scripts/docker.sh"], { stdio: ["ignore", "ignore", "inherit"] });
    const docker = new Docker({ socketPath: "/var/run/docker.sock" });
    const run = randomBytes(3).toString("hex");
    const label = `vigie.bench=${run}`;
    const source = new ContainerSource({
      engine: new DockerEngine(dockerApi()),
      hostRoot: "/",
      resource: { "host.name": os.hostname(), "node.id": "bench" },
      log: pino({ level: "warn" }),
    });
    // As in the agent: events keep the set current, the engine's list is asked for every 6th cycle.
    source.start({ emit: async () => undefined });
    await new Promise((r) => setTimeout(r, 500));
    const cycles = Math.min(ctx.cycles, 500);
    const rows: CostRow[] = [];
    const started: string[] = [];
    const enginePid = dockerdPid();
    try {
      for (const n of COUNTS) {
        await startBenchContainers(docker, IMAGE, run, started, n);
        const running = (await docker.listContainers({ filters: { label: [label] } })).length;
        for (let i = 0; i < 20; i++) await source.sample(); // warm-up, and every container inspected once
        const spawns = countSpawns();
        const walls: number[] = [];
        let sampled = 0;
        let bytes = 0;
        const daemon0 = processCpuMs(enginePid);
        const cpu0 = process.cpuUsage();
        for (let i = 0; i < cycles; i++) {
          const t0 = performance.now();
          const rm = await source.sample();
          bytes += JSON.stringify(rm).length;
          walls.push(performance.now() - t0);
          sampled = rm.length;
        }
        const cpu = process.cpuUsage(cpu0);
        const daemonMs = (processCpuMs(enginePid) - daemon0) / cycles;
        spawns.restore();
        rows.push({
          what: `Vigie containers sampling + JSON encoding, ${n} running (of ours), per cycle`,
          cpuMs: (cpu.user + cpu.system) / 1000 / cycles,
          wallMs: median(walls),
          rssMb: process.memoryUsage().rss / 2 ** 20,
          children: spawns.count() + childrenOf(process.pid).length,
          note: `${cycles} cycles; ${running} bench containers running, ${sampled} sampled in all; dockerd ${daemonMs.toFixed(2)} ms CPU per cycle; ${Math.round(bytes / cycles)} bytes of JSON`,
        });
        ctx.log(`containers: ${n} running → ${rows[rows.length - 1]!.cpuMs.toFixed(3)} ms CPU per cycle`);
      }
    } finally {
      await source.stop();
      await Promise.all(started.map((id) => docker.getContainer(id).remove({ force: true }).catch(() => undefined)));
    }
    return rows;
  },
};
