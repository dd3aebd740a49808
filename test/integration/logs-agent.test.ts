import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerEngine, dockerApi } from "../../agent/containers/index.js";
import { engineLogPorts, LogSource, LogsConfigSchema, type LogsConfigInput } from "../../agent/logs/index.js";
import type { LogRecord } from "../../protocol/index.js";
import { BUSYBOX, createService, DOCKER_SOCKET, ensureDocker, removeContainer, removeService, uniqueName } from "../support/docker.js";
import { testLog } from "../support/log.js";
import { waitFor } from "../support/wait.js";

/**
 * Log collection on the real engine (swarm mode): files of the json-file driver read under the
 * host root ("/" here), the API stream for the local driver, resumption across a stop, rotation,
 * and the rate limit of a noisy container.
 */
let docker: Docker;
const NODE = { "host.name": os.hostname(), "node.id": "test-node" };
const cleanups: (() => Promise<void>)[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  docker = await ensureDocker();
});

afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function stateDir(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), "vigie-logs-state-"));
  dirs.push(d);
  return d;
}

/** A LogSource on the test engine, its records kept per container id. */
function collect(config: LogsConfigInput, dir = stateDir()) {
  const byContainer = new Map<string, LogRecord[]>();
  const ports = engineLogPorts({ engine: new DockerEngine(dockerApi({ socketPath: DOCKER_SOCKET })), resource: NODE });
  const source = new LogSource({
    lister: ports.lister,
    openStream: ports.openStream,
    sink: (records) => {
      for (const r of records) {
        const id = String(r.resource["container.id"]);
        const list = byContainer.get(id) ?? [];
        list.push(r);
        byContainer.set(id, list);
      }
    },
    config: LogsConfigSchema.parse({ pollInterval: 50, listInterval: 500, ...config }),
    hostRoot: "/",
    stateDir: dir,
    log: testLog,
  });
  return { source, byContainer, dir, of: (id: string) => byContainer.get(id) ?? [] };
}

/** A busybox container running `script`, with log options; removed after the file's tests. */
async function run(script: string, options: { driver?: string; logOpts?: Record<string, string>; tty?: boolean; labels?: Record<string, string> } = {}): Promise<string> {
  const name = uniqueName("logs");
  const c = await docker.createContainer({
    name,
    Image: BUSYBOX,
    Cmd: ["sh", "-c", script],
    Tty: options.tty ?? false,
    Labels: { "vigie.test": "1", ...options.labels },
    HostConfig: { NetworkMode: "host", LogConfig: { Type: options.driver ?? "json-file", Config: options.logOpts ?? {} } },
  });
  cleanups.push(() => removeContainer(docker, c.id));
  await c.start();
  return c.id;
}

const bodies = (records: LogRecord[]) => records.map((r) => r.body as string);
/** `seq`-numbered lines: every number from 0 to n-1 exactly once, in order. */
function numbered(records: LogRecord[], prefix: string): number[] {
  return bodies(records)
    .filter((b) => b.startsWith(prefix))
    .map((b) => Number(b.slice(prefix.length)));
}
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("log collection on the real engine", () => {
  it("ships a service's trace, 1 MiB line and broken UTF-8 with their severity and resource", async () => {
    const stack = uniqueName("stk").replace(/-/g, "");
    const script = [
      "echo 'INFO starting'",
      "printf '2026-12-02 10:00:00.000 ERROR 1 --- [main] c.s.Api : request failed\\njava.lang.IllegalStateException: db down\\n\\tat c.s.Api.handle(Api.java:42)\\n\\tat c.s.Api.run(Api.java:7)\\nCaused by: java.net.ConnectException: refused\\n\\t... 3 more\\n' >&2",
      "head -c 1048576 /dev/zero | tr '\\0' x; echo",
      "printf 'bad \\377\\376 bytes\\n'",
      "echo 'WARN after the big line'",
      "sleep 600",
    ].join("; ");
    const svc = await createService(docker, { name: `${stack}_api`, cmd: ["sh", "-c", script], containerLabels: { "com.docker.stack.namespace": stack } });
    cleanups.push(() => removeService(docker, svc.name));
    const { source, byContainer } = collect({});
    source.start();
    try {
      const records = await waitFor(
        "the service's lines",
        () => [...byContainer.values()].find((rs) => rs[0]?.resource["docker.swarm.service.name"] === svc.name && rs.some((r) => r.body === "WARN after the big line")),
        60_000,
      );
      expect(records[0]?.resource).toMatchObject({ ...NODE, "service.name": "api", "service.namespace": stack, "docker.swarm.task.slot": 1 });
      const trace = records.find((r) => (r.body as string).includes("request failed"));
      expect(trace).toMatchObject({ severityNumber: 17, severityText: "ERROR", attributes: { "log.iostream": "stderr", "vigie.log.lines": 6 } });
      expect(trace?.body).toContain("Caused by: java.net.ConnectException: refused");
      const big = records.find((r) => (r.body as string).startsWith("xxxx"));
      expect(Buffer.byteLength(big?.body as string)).toBe(16 * 1024);
      expect(big?.attributes).toMatchObject({ "vigie.log.truncated": true, "vigie.log.original_bytes": 1024 * 1024 });
      expect(records.find((r) => (r.body as string).startsWith("bad "))?.body).toBe("bad \ufffd\ufffd bytes");
      expect(records.find((r) => r.body === "INFO starting")?.severityNumber).toBe(9);
      expect(Number(records[0]?.timeUnixNano.slice(0, -9))).toBeGreaterThan(Date.now() / 1000 - 600);
    } finally {
      await source.stop();
    }
  });

  it("loses nothing across rotated files", async () => {
    const n = 3000;
    const { source, of } = collect({});
    source.start();
    try {
      // ~90 bytes per entry on disk: 3000 lines rotate through 30 KiB files several times, paced so five files hold what is unread.
      const id = await run(`i=0; while [ $i -lt ${n} ]; do echo "rotated line $i"; i=$((i+1)); [ $((i % 300)) -eq 0 ] && sleep 0.2; done; sleep 600`, { logOpts: { "max-size": "30k", "max-file": "5" } });
      source.refresh();
      await waitFor("every rotated line", () => numbered(of(id), "rotated line ").length >= n, 60_000);
      await new Promise((r) => setTimeout(r, 300));
      expect(numbered(of(id), "rotated line ")).toEqual(range(n));
      const info = await docker.getContainer(id).inspect();
      const rotated = await import("node:fs/promises").then((fs) => fs.stat(`${info.LogPath}.1`).then(() => true, () => false));
      expect(rotated).toBe(true);
      expect(source.stats().find((s) => s.id === id)).toMatchObject({ mode: "file", lost: 0, invalid: 0, dropped: 0 });
    } finally {
      await source.stop();
    }
  });

  for (const driver of ["json-file", "local"]) {
    it(`stopped mid-stream and restarted, neither loses nor repeats a line (${driver}: ${driver === "json-file" ? "files" : "API stream"})`, async () => {
      const n = 4000;
      const id = await run(`i=0; while [ $i -lt ${n} ]; do echo "resume line $i"; [ $((i % 7)) -eq 0 ] && echo "resume err $i" >&2; i=$((i+1)); [ $((i % 400)) -eq 0 ] && sleep 0.2; done; sleep 600`, { driver });
      const dir = stateDir();
      const first = collect({}, dir);
      first.source.start();
      await waitFor("some lines", () => numbered(first.of(id), "resume line ").length > 500, 30_000);
      await first.source.stop();
      const seen = first.of(id).length;
      expect(numbered(first.of(id), "resume line ").length).toBeLessThan(n); // really stopped mid-stream
      const second = collect({}, dir);
      second.source.start();
      try {
        await waitFor("the rest", () => numbered([...first.of(id), ...second.of(id)], "resume line ").length >= n, 60_000);
        await new Promise((r) => setTimeout(r, 500));
        const all = [...first.of(id), ...second.of(id)];
        expect(numbered(all, "resume line ")).toEqual(range(n));
        expect(numbered(all, "resume err ")).toEqual(range(n).filter((i) => i % 7 === 0));
        expect(second.of(id).length).toBeGreaterThan(0);
        expect(seen).toBeGreaterThan(0);
        expect(second.source.stats().find((s) => s.id === id)?.mode).toBe(driver === "json-file" ? "file" : "api");
      } finally {
        await second.source.stop();
      }
    });
  }

  it("limits a noisy container while a quiet one's lines all arrive", async () => {
    const { source, of } = collect({ rateLimit: { linesPerSecond: 200, burst: 200 }, dropReportInterval: 1000 });
    source.start();
    try {
      const noisy = await run("i=0; while true; do echo \"noise $i\"; i=$((i+1)); done");
      const quiet = await run("i=0; while [ $i -lt 30 ]; do echo \"quiet $i\"; i=$((i+1)); sleep 0.1; done; sleep 600");
      source.refresh();
      await waitFor("the quiet container's lines", () => numbered(of(quiet), "quiet ").length >= 30, 60_000);
      expect(numbered(of(quiet), "quiet ")).toEqual(range(30));
      await waitFor("a drop report", () => of(noisy).some((r) => typeof r.attributes?.["vigie.log.dropped"] === "number"), 10_000);
      const stats = source.stats().find((s) => s.id === noisy);
      expect(stats?.dropped).toBeGreaterThan(0);
      expect(stats?.lines).toBeGreaterThan(stats?.records ?? 0);
      expect(source.stats().find((s) => s.id === quiet)?.dropped).toBe(0);
    } finally {
      await source.stop();
    }
  });

  it("leaves out a container labelled vigie.logs=false", async () => {
    const { source, of } = collect({});
    source.start();
    try {
      const hidden = await run("echo 'do not ship'; sleep 600", { labels: { "vigie.logs": "false" } });
      const shown = await run("echo 'ship me'; sleep 600");
      source.refresh();
      await waitFor("the shown container", () => of(shown).length > 0, 30_000);
      expect(of(hidden)).toHaveLength(0);
    } finally {
      await source.stop();
    }
  });
});
