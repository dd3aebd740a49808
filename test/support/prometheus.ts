import { spawn, type ChildProcess } from "node:child_process";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { waitFor } from "./wait.js";

export const PROMETHEUS_BIN = "/usr/bin/prometheus";
export const PROMTOOL_BIN = "/usr/bin/promtool";

export interface PrometheusSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface Prometheus {
  url: string;
  /** Instant query through Prometheus' HTTP API. */
  query(expr: string): Promise<PrometheusSample[]>;
  /** State of the scrape targets (`up`, `down`, `unknown`) with their last error. */
  targets(): Promise<{ health: string; lastError: string; scrapeUrl: string }[]>;
  stop(): Promise<void>;
}

/** A free loopback port, chosen by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts a real Prometheus (Debian package) on a free loopback port with its own config and
 * data directory, scraping `targets` (host:port) every second at `metricsPath`.
 */
export async function startPrometheus(options: { targets: string[]; metricsPath?: string; bearerToken?: string }): Promise<Prometheus> {
  const dir = mkdtempSync(path.join(tmpdir(), "vigie-prometheus-"));
  const port = await freePort();
  const config = [
    "global:",
    "  scrape_interval: 1s",
    "  evaluation_interval: 1s",
    "scrape_configs:",
    "  - job_name: vigie",
    `    metrics_path: ${options.metricsPath ?? "/metrics"}`,
    ...(options.bearerToken ? ["    authorization:", "      type: Bearer", `      credentials: ${options.bearerToken}`] : []),
    "    static_configs:",
    `      - targets: [${options.targets.map((t) => JSON.stringify(t)).join(", ")}]`,
    "",
  ].join("\n");
  writeFileSync(path.join(dir, "prometheus.yml"), config);
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [`--config.file=${path.join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${path.join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  child.stderr?.on("data", (b: Buffer) => {
    log = (log + b.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    await waitFor("Prometheus ready", async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${log}`);
      return (await fetch(`${url}/-/ready`)).ok;
    }, 30_000, 200);
  } catch (err) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data: { result: PrometheusSample[] } };
      if (body.status !== "success") throw new Error(`Prometheus query ${expr} failed: ${body.error}`);
      return body.data.result;
    },
    async targets() {
      const res = await fetch(`${url}/api/v1/targets`);
      const body = (await res.json()) as { data: { activeTargets: { health: string; lastError: string; scrapeUrl: string }[] } };
      return body.data.activeTargets;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs `promtool check metrics` on an exposition; returns its findings (empty = clean) and exit code. */
export async function promtoolCheckMetrics(text: string): Promise<{ code: number; findings: string[] }> {
  return new Promise((resolve, reject) => {
    const child = execFile(PROMTOOL_BIN, ["check", "metrics"], (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      if (typeof code !== "number") return reject(err ?? new Error("promtool failed"));
      const findings = `${stdout}\n${stderr}`.split("\n").map((l) => l.trim()).filter(Boolean);
      resolve({ code, findings });
    });
    child.stdin?.end(text);
  });
}
