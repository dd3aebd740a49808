import os from "node:os";
import { HostSource } from "../../agent/host/index.js";
import { childrenOf, countSpawns, median } from "./measure.js";
import type { BenchContext, CostRow, CostSection } from "./section.js";

/**
 * The host source on this machine (host root `/`): CPU per sampling cycle from
 * `process.cpuUsage()` over many cycles, alone and with the JSON encoding the agent does before
 * spooling; child processes counted by wrapping `child_process` and by looking in /proc.
 */
export const hostSection: CostSection = {
  name: "host",
  async run(ctx: BenchContext): Promise<CostRow[]> {
    const source = new HostSource({ hostRoot: "/", resource: { "host.name": os.hostname(), "node.id": "bench" } });
    for (let i = 0; i < 50; i++) await source.sample(); // warm-up: JIT, static facts, sensor discovery
    const spawns = countSpawns();
    const rows: CostRow[] = [];
    try {
      for (const encode of [false, true]) {
        const walls: number[] = [];
        let bytes = 0;
        const cpu0 = process.cpuUsage();
        for (let i = 0; i < ctx.cycles; i++) {
          const t0 = performance.now();
          const rm = await source.sample();
          if (encode) bytes += JSON.stringify(rm).length;
          walls.push(performance.now() - t0);
        }
        const cpu = process.cpuUsage(cpu0);
        (globalThis as { gc?: () => void }).gc?.(); // run.sh passes --expose-gc: RSS without garbage awaiting collection
        rows.push({
          what: encode ? "Vigie host sampling + JSON encoding, per cycle" : "Vigie host sampling, per cycle",
          cpuMs: (cpu.user + cpu.system) / 1000 / ctx.cycles,
          wallMs: median(walls),
          rssMb: process.memoryUsage().rss / 2 ** 20,
          children: spawns.count(),
          note: `${ctx.cycles} cycles${encode ? `, ${Math.round(bytes / ctx.cycles)} bytes of JSON per cycle` : ""}`,
        });
      }
      // Not timed: a /proc scan after every cycle for children a wrapper could miss.
      let seen = 0;
      for (let i = 0; i < 20; i++) {
        await source.sample();
        seen += childrenOf(process.pid).length;
      }
      ctx.log(`host: child processes seen in /proc after 20 more cycles: ${seen}; spawn calls in all: ${spawns.count()}`);
      const last = rows[rows.length - 1]!;
      last.children = spawns.count() + seen;
      const [sample] = await source.sample();
      ctx.log(`host: ${sample!.metrics.length} metrics, ${sample!.metrics.reduce((n, m) => n + m.points.length, 0)} points per cycle`);
    } finally {
      spawns.restore();
    }
    return rows;
  },
};
