import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { median, processCpuMs, processRssMb } from "./measure.js";
import type { BenchContext, CostRow, CostSection } from "./section.js";

const BINARY = "/usr/bin/prometheus-node-exporter";

/** Installs the Debian package when it is missing (the bench runs as root on a Debian machine). */
function ensureInstalled(ctx: BenchContext): void {
  if (existsSync(BINARY)) return;
  ctx.log("node_exporter: installing prometheus-node-exporter with apt-get");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["install", "-y", "--no-install-recommends", "prometheus-node-exporter"], { stdio: "ignore", env });
  // The package starts a service on :9100 where an init system runs; the bench uses its own instance.
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * prometheus-node-exporter with its default collectors on 127.0.0.1, scraped sequentially with
 * fetch; its CPU is utime + stime from /proc/<pid>/stat (10 ms ticks, hence many scrapes).
 */
export const nodeExporterSection: CostSection = {
  name: "node-exporter",
  async run(ctx: BenchContext): Promise<CostRow[]> {
    ensureInstalled(ctx);
    const version = execFileSync(BINARY, ["--version"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).split("\n")[0];
    const port = await freePort();
    const child = spawn(BINARY, [`--web.listen-address=127.0.0.1:${port}`], { stdio: "ignore" });
    const pid = child.pid!;
    const url = `http://127.0.0.1:${port}/metrics`;
    try {
      let body = "";
      for (let i = 0; i < 100; i++) {
        try {
          body = await (await fetch(url)).text();
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      if (body === "") throw new Error("node_exporter did not answer");
      for (let i = 0; i < 20; i++) await (await fetch(url)).text(); // warm-up
      const scrapes = Math.max(100, Math.round(ctx.cycles / 10));
      const walls: number[] = [];
      const cpu0 = processCpuMs(pid);
      for (let i = 0; i < scrapes; i++) {
        const t0 = performance.now();
        body = await (await fetch(url)).text();
        walls.push(performance.now() - t0);
      }
      const cpuMs = (processCpuMs(pid) - cpu0) / scrapes;
      const series = body.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length;
      return [
        {
          what: "prometheus-node-exporter, per scrape",
          cpuMs,
          wallMs: median(walls),
          rssMb: processRssMb(pid),
          note: `${version ?? "node_exporter"}, default collectors, ${scrapes} sequential scrapes, ${series} series`,
        },
      ];
    } finally {
      child.kill("SIGTERM");
    }
  },
};
