/**
 * Agent CPU per 1,000 lines collected, reading json-file logs from disk against the engine's API
 * stream, with the engine's own CPU meanwhile (/proc/<dockerd>/stat). The sink only counts
 * (no spool, no NATS): this is the cost of collection and normalization. Two loads: a backlog
 * of lines already written, and a container writing ~1,000 lines/s followed live.
 * Needs the test engine (scripts/docker.sh) and its busybox image; hold /tmp/vigie-docker.lock.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import Docker from "dockerode";
import { pino } from "pino";
import { DockerEngine, dockerApi } from "../../agent/containers/index.js";
import { engineLogPorts, LogSource, LogsConfigSchema } from "../../agent/logs/index.js";
import { dockerdPid } from "../agent-cost/measure.js";

const { values } = parseArgs({ options: { lines: { type: "string", default: "100000" }, seconds: { type: "string", default: "10" }, out: { type: "string" }, command: { type: "string", default: "" } } });
const N = Number(values.lines);
const LIVE_S = Number(values.seconds);
const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const enginePid = dockerdPid();

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) * 10;
}
const selfMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function container(script: string): Promise<{ id: string; remove: () => Promise<void> }> {
  const c = await docker.createContainer({
    name: `vigie-bench-logs-${Math.random().toString(16).slice(2, 10)}`,
    Image: "vigie-test/busybox:1",
    Cmd: ["sh", "-c", script],
    HostConfig: { NetworkMode: "host", LogConfig: { Type: "json-file", Config: {} } },
  });
  await c.start();
  return { id: c.id, remove: () => c.remove({ force: true }).then(() => undefined) };
}

async function waitUntil(what: string, probe: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Row {
  load: string;
  mode: string;
  lines: number;
  agentMs: number;
  dockerdMs: number;
  wallMs: number;
}

async function measure(load: "backlog" | "live", readFiles: boolean): Promise<Row> {
  const line = "2026-12-02 15:45:37.456 INFO 1 --- [nio-8080-exec-1] com.shop.orders.OrderService : order placed in 12 ms";
  const total = load === "backlog" ? N : LIVE_S * 1000;
  const script =
    load === "backlog"
      ? `i=0; while [ $i -lt ${total} ]; do echo "${line} $i"; i=$((i+1)); done; echo written >&2; sleep 3600`
      : `sleep 1; i=0; while [ $i -lt ${total} ]; do echo "${line} $i"; i=$((i+1)); [ $((i % 100)) -eq 0 ] && sleep 0.1; done; sleep 3600`;
  const c = await container(script);
  const dir = mkdtempSync(path.join(os.tmpdir(), "vigie-bench-logs-"));
  let received = 0;
  try {
    if (load === "backlog") {
      const logPath = (await docker.getContainer(c.id).inspect()).LogPath;
      await waitUntil("the backlog to be written", () => readFileSync(logPath, "utf8").includes('"stream":"stderr"'), 300_000);
    }
    const ports = engineLogPorts({ engine: new DockerEngine(dockerApi()), resource: { "host.name": os.hostname(), "node.id": "bench" } });
    const source = new LogSource({
      lister: async () => (await ports.lister()).filter((x) => x.id === c.id),
      openStream: ports.openStream,
      sink: (records) => {
        for (const r of records) if (typeof r.body === "string" && r.body.startsWith("2026-")) received++;
      },
      config: LogsConfigSchema.parse({ readFiles, rateLimit: { linesPerSecond: 1_000_000, burst: 10_000_000 } }),
      hostRoot: "/",
      stateDir: dir,
      log: pino({ level: "silent" }),
    });
    const a0 = selfMs();
    const d0 = cpuMs(enginePid);
    const t0 = Date.now();
    source.start();
    await waitUntil("every line", () => received >= total, 600_000);
    const row = { load, mode: readFiles ? "file" : "api", lines: received, agentMs: selfMs() - a0, dockerdMs: cpuMs(enginePid) - d0, wallMs: Date.now() - t0 };
    await source.stop();
    return row;
  } finally {
    await c.remove();
    rmSync(dir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
for (const load of ["backlog", "live"] as const) {
  for (const readFiles of [true, false]) {
    const r = await measure(load, readFiles);
    rows.push(r);
    console.log(JSON.stringify(r));
  }
}
const fmt = (r: Row): string =>
  `| ${r.load} | ${r.mode} | ${r.lines.toLocaleString("en")} | ${(r.wallMs / 1000).toFixed(1)} | ${((r.agentMs / r.lines) * 1000).toFixed(1)} | ${((r.dockerdMs / r.lines) * 1000).toFixed(1)} |`;
const report = `# logs-collect

Agent CPU (this process: user + system) and dockerd CPU (/proc/<pid>/stat) per 1,000 lines collected from one
container, reading its json-file log from disk ("file") or following the engine's API stream ("api"), the default
pipeline (multi-line joining, parsing, redaction) on ~110-character plain lines, a sink that only counts (no spool, no
NATS). "backlog": ${N.toLocaleString("en")} lines already written, read as fast as possible; "live": ~1,000 lines/s for ${LIVE_S} s, followed as they come
(includes the 250 ms polling of the file and the engine's idle cost).

Command: \`${values.command}\`
Machine: ${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} cores (shared with other work; load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}), Node ${process.version}, ${new Date().toISOString()}

| load | mode | lines | wall s | agent CPU ms / 1,000 lines | dockerd CPU ms / 1,000 lines |
|---|---|---|---|---|---|
${rows.map(fmt).join("\n")}
`;
if (values.out) writeFileSync(values.out, report);
console.log(report);
