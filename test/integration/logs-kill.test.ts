import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, watch, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCollector, type Collector } from "../../collector/index.js";
import { BUSYBOX, DOCKER_SOCKET, ensureDocker, removeService, uniqueName } from "../support/docker.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { freePort } from "../support/ports.js";
import { collectorTestOptions, getJson } from "../support/vigie.js";
import { waitFor } from "../support/wait.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const ADMIN = "logs-kill-admin-token";
/** How many times the agent is killed while the service writes. */
const KILLS = 8;

interface ApiPage {
  records: { body: unknown; node: string }[];
  next: string | null;
}

/**
 * An agent killed outright (SIGKILL) while a service writes numbered lines, started again each
 * time, never loses a line and never stores one twice: the collector finally holds every number
 * exactly once. Half the kills come at a random moment of the agent's life, half the moment the
 * agent starts writing the service container's position — after the spool took a batch and
 * before the position is on disk, the moment that makes the next life read that batch again (the
 * records' uids keep the repeat out of the store). The agent runs as users run it (the compiled CLI) on the real engine in swarm mode;
 * the service stops writing when the test tells it to, so every kill is mid-stream.
 */
describe("container logs across an agent killed with SIGKILL mid-stream", () => {
  let docker: Docker;
  let nats: NatsServer;
  let collector: Collector | undefined;
  let built: string;
  let collectorDir: string;
  let agentDir: string;
  let control: string;
  let agent: ChildProcess | undefined;
  let stderr = "";
  const service = uniqueName("logskill");
  const nodeId = uniqueName("kill-node");

  beforeAll(async () => {
    docker = await ensureDocker();
    nats = await startNats();
    collectorDir = mkdtempSync(path.join(tmpdir(), "vigie-logs-kill-collector-"));
    agentDir = mkdtempSync(path.join(tmpdir(), "vigie-logs-kill-agent-"));
    control = mkdtempSync(path.join(tmpdir(), "vigie-logs-kill-control-"));
    collector = await startCollector(collectorTestOptions(nats.url, collectorDir, { apiTokens: [{ token: ADMIN, scope: "admin" }] }));
    mkdirSync(path.join(ROOT, "dist"), { recursive: true });
    built = mkdtempSync(path.join(ROOT, "dist", "test-logs-kill-"));
    execFileSync(path.join(ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.build.json", "--outDir", built, "--sourceMap", "false"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  }, 300_000);

  afterAll(async () => {
    agent?.kill("SIGKILL");
    await removeService(docker, service).catch(() => undefined);
    await collector?.stop();
    await nats?.dispose();
    for (const d of [built, collectorDir, agentDir, control]) if (d) rmSync(d, { recursive: true, force: true });
  });

  async function startAgentProcess(): Promise<ChildProcess> {
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(built, "cli/main.js"), "agent"], {
      env: {
        ...process.env,
        VIGIE_NATS_URL: nats.url,
        VIGIE_DATA_DIR: agentDir,
        VIGIE_AGENT_LISTEN: `127.0.0.1:${port}`,
        VIGIE_INTERVAL: "10s",
        VIGIE_NODE_ID: nodeId,
        VIGIE_HOSTNAME: nodeId,
        VIGIE_LOG_LEVEL: "warn",
        VIGIE_AGENT_DOCKER_SOCKET: DOCKER_SOCKET,
        VIGIE_AGENT_LOGS_POLL_INTERVAL: "20ms",
        VIGIE_AGENT_LOGS_LIST_INTERVAL: "500ms",
        // Small reads: many deliveries, each followed by a position write, so many moments to be killed between the two.
        VIGIE_AGENT_LOGS_READ_CHUNK_BYTES: "4KiB",
        // The backlog after a restart comes at once; the rate limit is not what this test is about.
        VIGIE_AGENT_LOGS_RATE_LIMIT_LINES_PER_SECOND: "1000000",
        VIGIE_AGENT_LOGS_RATE_LIMIT_BURST: "10000000",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.on("data", (b: Buffer) => (stderr = (stderr + b.toString()).slice(-4000)));
    agent = child;
    try {
      await waitFor("the agent's /healthz", async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, 30_000, 50);
    } catch (err) {
      throw new Error(`${(err as Error).message}; agent said: ${stderr}`);
    }
    return child;
  }

  async function kill(child: ChildProcess): Promise<void> {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }

  /** Every `kill …` line of the service in the store, all pages. */
  async function bodies(): Promise<string[]> {
    const out: string[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiPage = await getJson<ApiPage>(
        `${collector!.url}/api/v1/logs?service=${service}&q=kill&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        ADMIN,
      );
      out.push(...page.records.map((r) => String(r.body)));
      cursor = page.next;
    } while (cursor);
    return out;
  }

  /** The number of the newest `kill line` in the store (-1 before the first): one page of one record. */
  async function newest(): Promise<number> {
    const page = await getJson<ApiPage>(`${collector!.url}/api/v1/logs?service=${service}&q=${encodeURIComponent('"kill line"')}&limit=1`, ADMIN);
    const body = page.records[0]?.body;
    return typeof body === "string" ? Number(body.slice("kill line ".length)) : -1;
  }

  const numbers = (all: string[]) =>
    all
      .filter((b) => b.startsWith("kill line "))
      .map((b) => Number(b.slice("kill line ".length)))
      .sort((a, b) => a - b);

  /**
   * Resolves true when the agent starts writing the position of container `id` (its file written
   * beside, before the rename), or false after `ms`: the records before that position are in the
   * spool already, and the position is not yet on disk.
   */
  function positionWrite(id: string, ms: number): Promise<boolean> {
    const dir = path.join(agentDir, "agent", "logs");
    mkdirSync(dir, { recursive: true });
    return new Promise((resolve) => {
      const watcher = watch(dir, (_event, name) => {
        if (name === `${id}.json.tmp`) done(true);
      });
      const timer = setTimeout(() => done(false), ms);
      function done(seen: boolean): void {
        clearTimeout(timer);
        watcher.close();
        resolve(seen);
      }
    });
  }

  it("holds every number the service wrote exactly once after eight kills and restarts", async () => {
    // Writes numbered lines steadily (about 1,000 a second) until the control file appears, then says how many.
    const script =
      'i=0; while [ ! -e /ctl/stop ]; do n=0; while [ $n -lt 50 ]; do echo "kill line $i"; i=$((i+1)); n=$((n+1)); done; sleep 0.05; done; echo "kill end $i"; sleep 600';
    await docker.createService({
      Name: service,
      Labels: { "vigie.test": "1" },
      TaskTemplate: {
        ContainerSpec: { Image: BUSYBOX, Command: ["sh", "-c", script], Mounts: [{ Type: "bind", Source: control, Target: "/ctl", ReadOnly: true }] },
        Networks: [{ Target: "host" }],
        RestartPolicy: { Condition: "none" },
      },
      Mode: { Replicated: { Replicas: 1 } },
    } as Docker.CreateServiceOptions);

    const task = await waitFor("the service's container", async () => (await docker.listContainers({ filters: { label: [`com.docker.swarm.service.name=${service}`] } }))[0]?.Id);

    let child = await startAgentProcess();
    await waitFor("the service's first lines through the API", async () => (await newest()) > 200, 60_000, 200);
    let timed = 0;
    for (let k = 0; k < KILLS; k++) {
      if (k % 2 === 0) {
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 1500));
      } else {
        if (await positionWrite(task, 3000)) timed++;
      }
      await kill(child);
      // Down for a while: the service goes on writing, the next life starts with a backlog.
      await new Promise((r) => setTimeout(r, Math.random() * 500));
      child = await startAgentProcess();
      // It ships again before the next kill: each life takes part of the stream.
      const shipped = await newest();
      await waitFor("lines shipped by the restarted agent", async () => (await newest()) > shipped, 60_000, 100);
    }
    // The moment that repeats a batch was met, not only waited for.
    expect(timed).toBeGreaterThan(0);

    writeFileSync(path.join(control, "stop"), "");
    const end = await waitFor(
      "the service's last line",
      async () => {
        const last = (await bodies()).find((b) => b.startsWith("kill end "));
        return last ? Number(last.slice("kill end ".length)) : undefined;
      },
      90_000,
      1000,
    );
    expect(end).toBeGreaterThan(1000);
    await waitFor("every line in the store", async () => numbers(await bodies()).length >= end, 90_000, 1000);
    // Anything still on its way (a repeat would come now) is in.
    await new Promise((r) => setTimeout(r, 1500));
    const settled = await bodies();
    const seen = new Map<number, number>();
    for (const n of numbers(settled)) seen.set(n, (seen.get(n) ?? 0) + 1);
    const twice = [...seen].filter(([, times]) => times > 1).map(([n]) => n);
    const missing = Array.from({ length: end }, (_, i) => i).filter((n) => !seen.has(n));
    expect({ twice: twice.length, firstTwice: twice.slice(0, 10), missing: missing.length, firstMissing: missing.slice(0, 10) }).toEqual({ twice: 0, firstTwice: [], missing: 0, firstMissing: [] });
    expect(numbers(settled)).toHaveLength(end);
    expect(settled.filter((b) => b.startsWith("kill end "))).toHaveLength(1);
  }, 300_000);
});
