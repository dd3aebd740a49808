import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, isListening } from "../support/ports.js";
import { waitFor } from "../support/wait.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

describe("vigie up", () => {
  let child: ChildProcess | undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), "vigie-up-"));

  afterAll(() => {
    child?.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("runs NATS, collector and agent from the vigie command, prints the API URL, and stops all three on Ctrl-C", async () => {
    const [natsPort, apiPort, agentPort] = [await freePort(), await freePort(), await freePort()];
    let stderr = "";
    child = spawn(path.join(ROOT, "vigie"), ["up"], {
      cwd: dataDir,
      env: {
        ...process.env,
        VIGIE_NATS_URL: `nats://127.0.0.1:${natsPort}`,
        VIGIE_API_LISTEN: `127.0.0.1:${apiPort}`,
        VIGIE_AGENT_LISTEN: `127.0.0.1:${agentPort}`,
        VIGIE_DATA_DIR: dataDir,
        VIGIE_INTERVAL: "1s",
        VIGIE_LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
    child.stdout?.resume();
    const exited = new Promise<number | null>((resolve) => child!.once("exit", (code) => resolve(code)));

    await waitFor("the 'Vigie is up' banner", () => stderr.includes("Vigie is up"), 150_000, 100);
    expect(stderr).toContain(`API:     http://127.0.0.1:${apiPort}/api/v1/nodes`);

    const token = /Token:\s+(\S+)/.exec(stderr)?.[1];
    expect(token).toMatch(/^vigie_/);
    // The API is not left open: vigie up made an admin token.
    expect((await fetch(`http://127.0.0.1:${apiPort}/api/v1/nodes`)).status).toBe(401);
    const nodes = await waitFor("this machine in /api/v1/nodes", async () => {
      const res = await fetch(`http://127.0.0.1:${apiPort}/api/v1/nodes`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { nodes: { hostname: string; memory: { totalBytes: number } | null }[] };
      return body.nodes.length > 0 ? body.nodes : undefined;
    });
    expect(nodes[0]!.memory!.totalBytes).toBeGreaterThan(0);
    expect(await isListening(natsPort)).toBe(true);
    expect((await fetch(`http://127.0.0.1:${agentPort}/healthz`)).status).toBe(200);

    // `vigie query` finds the collector and the generated token by itself.
    const query = spawnSync(path.join(ROOT, "vigie"), ["query", "nodes"], {
      env: { ...process.env, VIGIE_API_LISTEN: `127.0.0.1:${apiPort}`, VIGIE_DATA_DIR: dataDir },
      encoding: "utf8",
    });
    expect(query.stderr).toBe("");
    expect(query.stdout).toMatch(/^HOSTNAME\s+NODE ID/);
    expect(query.stdout).toContain(nodes[0]!.hostname);

    child.kill("SIGINT");
    expect(await exited).toBe(0);
    expect(stderr).toContain("Vigie stopped.");
    expect(await isListening(natsPort)).toBe(false);
    expect(await isListening(apiPort)).toBe(false);
    expect(await isListening(agentPort)).toBe(false);
  });

  it("refuses to start on a bad setting, naming it", async () => {
    const run = spawn(path.join(ROOT, "vigie"), ["up"], { env: { ...process.env, VIGIE_INTERVAL: "often" }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    run.stderr?.on("data", (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((resolve) => run.once("exit", resolve));
    expect(code).toBe(78);
    expect(stderr).toMatch(/VIGIE_INTERVAL: interval = "often"/);
  });
});
