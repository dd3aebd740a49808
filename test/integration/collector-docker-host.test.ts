import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startCollector, type Collector } from "../../collector/index.js";
import { DOCKER_SOCKET, ensureDocker } from "../support/docker.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { freePort } from "../support/ports.js";
import { collectorTestOptions } from "../support/vigie.js";
import { waitFor } from "../support/wait.js";

// The collector's Swarm view asks the engine the operator's DOCKER_HOST names, as the docker CLI
// would, and `collector.swarm.enabled: false` turns it off even with an engine at hand.
describe("the collector's Swarm view follows DOCKER_HOST", () => {
  let nats: NatsServer;
  let dir: string;
  let collector: Collector | undefined;
  const saved = process.env.DOCKER_HOST;

  beforeAll(async () => {
    await ensureDocker();
    nats = await startNats();
    dir = mkdtempSync(path.join(tmpdir(), "vigie-dockerhost-"));
    // The engine's socket under another name: only DOCKER_HOST leads there.
    symlinkSync(DOCKER_SOCKET, path.join(dir, "engine.sock"));
  });

  afterEach(async () => {
    await collector?.stop();
    collector = undefined;
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  });

  afterAll(async () => {
    await nats?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (name: string, enabled?: boolean | "auto") =>
    startCollector(collectorTestOptions(nats.url, path.join(dir, name), { durable: name, swarm: { enabled, intervalMs: 500 } }));

  it("reads the Swarm from a unix:// DOCKER_HOST", async () => {
    process.env.DOCKER_HOST = `unix://${path.join(dir, "engine.sock")}`;
    collector = await start("unix");
    expect(collector.swarm).toBeDefined();
    await waitFor("the engine answering as a manager", () => collector!.swarm!.status === "manager", 20_000);
    expect(collector.model.swarm.view()?.nodes.length).toBeGreaterThanOrEqual(1);
  });

  it("asks a tcp:// DOCKER_HOST, not the local socket: an engine away there is reported down", async () => {
    process.env.DOCKER_HOST = `tcp://127.0.0.1:${await freePort()}`;
    collector = await start("tcp");
    await waitFor("the Swarm view reporting the engine away", () => collector!.swarm!.status === "docker_down", 20_000);
    expect(collector.model.swarm.view()).toBeUndefined();
  });

  it("refuses to start with a DOCKER_HOST the Docker client cannot read, naming it", async () => {
    process.env.DOCKER_HOST = "tcp://[not-a-host";
    await expect(start("bad")).rejects.toThrow(/DOCKER_HOST = "tcp:\/\/\[not-a-host"/);
  });

  it("has no Swarm view with collector.swarm.enabled false, engine or not", async () => {
    process.env.DOCKER_HOST = `unix://${path.join(dir, "engine.sock")}`;
    collector = await start("off", false);
    expect(collector.swarm).toBeUndefined();
    const res = await fetch(`${collector.url}/api/v1/swarm`);
    expect(res.status).toBe(404);
  });
});
