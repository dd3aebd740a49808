import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureStreams } from "../../collector/ingest/streams.js";
import type { EnvelopeOf } from "../../protocol/index.js";
import { ensureDocker, removeContainer, runContainer, uniqueName } from "../support/docker.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { freePort } from "../support/ports.js";
import { waitFor } from "../support/wait.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

/**
 * Events are written ahead: an agent killed outright (SIGKILL, no shutdown) right after a
 * container died still has the `die` event on disk, and sends it once it runs again. The first
 * agent has no NATS to talk to, so nothing it makes can leave before the kill; it is killed as
 * soon as the event is in its spool, and no later than 800 ms after the container died — before
 * the 1 s after which a metrics message would have been written behind.
 */
describe("a container's die event across an agent killed with SIGKILL", () => {
  let docker: Docker;
  let nats: NatsServer;
  let nc: NatsConnection;
  let built: string;
  let dataDir: string;
  let agent: ChildProcess | undefined;
  const containers: string[] = [];
  const nodeId = uniqueName("killed-node").replace(/[^A-Za-z0-9_-]/g, "-");
  let stderr = "";

  beforeAll(async () => {
    docker = await ensureDocker();
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    await ensureStreams(await jetstreamManager(nc), { maxAgeMs: 600_000, maxBytes: -1, replicas: 1 });
    // The agent as users run it: the CLI, compiled (inside the checkout, where its packages are found).
    mkdirSync(path.join(ROOT, "dist"), { recursive: true });
    built = mkdtempSync(path.join(ROOT, "dist", "test-events-kill-"));
    execFileSync(path.join(ROOT, "node_modules/.bin/tsc"), ["-p", "tsconfig.build.json", "--outDir", built, "--sourceMap", "false"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-events-kill-"));
  }, 300_000);

  afterAll(async () => {
    agent?.kill("SIGKILL");
    for (const c of containers) await removeContainer(docker, c);
    await nc?.close();
    await nats?.dispose();
    if (built) rmSync(built, { recursive: true, force: true });
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function startAgentProcess(natsUrl: string): Promise<{ child: ChildProcess; url: string }> {
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(built, "cli/main.js"), "agent"], {
      env: {
        ...process.env,
        VIGIE_NATS_URL: natsUrl,
        VIGIE_DATA_DIR: dataDir,
        VIGIE_AGENT_LISTEN: `127.0.0.1:${port}`,
        VIGIE_INTERVAL: "1s",
        VIGIE_NODE_ID: nodeId,
        VIGIE_HOSTNAME: nodeId,
        VIGIE_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    child.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
    agent = child;
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitFor("the agent's /healthz", async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok, 30_000, 100);
    } catch (err) {
      throw new Error(`${(err as Error).message}; agent said: ${stderr.slice(-2000)}`);
    }
    return { child, url };
  }

  /** The spool's messages holding `needle` (a message file is the subject, id and trace lines, then the envelope). */
  const spooled = (needle: string): string[] => {
    const dir = path.join(dataDir, "agent", "spool");
    if (!existsSync(dir)) return [];
    return readdirSync(dir)
      .filter((n) => n.endsWith(".msg"))
      .map((n) => {
        try {
          return readFileSync(path.join(dir, n), "utf8");
        } catch {
          return ""; // published and removed meanwhile
        }
      })
      .filter((text) => text.includes(needle));
  };

  it("finds the die event in VIGIE_EVENTS after the agent is killed right after the container died and started again", async () => {
    // No server on this port: the first agent spools everything and publishes nothing.
    const first = await startAgentProcess(`nats://127.0.0.1:${await freePort()}`);
    await waitFor("the engine seen by the agent", async () => /^vigie_agent_docker_up 1$/m.test(await (await fetch(`${first.url}/metrics`)).text()), 20_000, 100);

    const { id, name, container } = await runContainer(docker, { cmd: ["sleep", "3600"], network: "none" });
    containers.push(name);
    // Its start event on disk: the agent follows the engine's events.
    await waitFor("the start event in the spool", () => spooled(id).some((m) => m.includes('"action":"start"')), 20_000, 20);

    await container.kill();
    const died = Date.now();
    while (Date.now() - died < 800 && !spooled(id).some((m) => m.includes('"action":"die"'))) await new Promise((r) => setTimeout(r, 10));
    const exited = new Promise((resolve) => first.child.once("exit", resolve));
    first.child.kill("SIGKILL");
    await exited;
    expect(spooled(id).some((m) => m.includes('"action":"die"'))).toBe(true);

    // Started again, with NATS there: what the killed agent wrote goes out first.
    await startAgentProcess(nats.url);
    const js = jetstream(nc);
    const found = await waitFor(
      "the die event in VIGIE_EVENTS",
      async () => {
        const consumer = await js.consumers.get("VIGIE_EVENTS");
        const batch = await consumer.fetch({ max_messages: 1000, expires: 1000 });
        for await (const m of batch) {
          const env = m.json<EnvelopeOf<"events">>();
          const die = env.node.id === nodeId ? env.payload.events.find((e) => e.action === "die" && e.resource["container.id"] === id) : undefined;
          if (die) return { env, die };
        }
        return undefined;
      },
      30_000,
      200,
    );
    expect(found.die.resource["container.name"]).toBe(name);
    expect(found.die.attributes?.["container.exit_code"]).toBe(137); // killed: 128 + SIGKILL
  }, 120_000);
});
