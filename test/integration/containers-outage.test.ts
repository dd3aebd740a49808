import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../agent/index.js";
import { ensureStreams } from "../../collector/ingest/streams.js";
import type { Envelope, EnvelopeOf } from "../../protocol/index.js";
import { ensureDocker, removeContainer, runContainer, startDocker, stopDocker } from "../support/docker.js";
import { testLog } from "../support/log.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { waitFor } from "../support/wait.js";

describe("the Docker engine going away and coming back (dockerd really stopped)", () => {
  let docker: Docker;
  let nats: NatsServer;
  let nc: NatsConnection;
  let agent: Agent;
  let dataDir: string;
  const received: Envelope[] = [];
  const containers: string[] = [];

  const events = () => received.filter((e): e is EnvelopeOf<"events"> => e.kind === "events").flatMap((e) => e.payload.events);
  const metricsMessages = () => received.filter((e): e is EnvelopeOf<"metrics"> => e.kind === "metrics");
  const dockerUp = async () => /^vigie_agent_docker_up (\d)$/m.exec(await (await fetch(`${agent.url}/metrics`)).text())?.[1];

  beforeAll(async () => {
    docker = await ensureDocker();
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    await ensureStreams(await jetstreamManager(nc), { maxAgeMs: 600_000, maxBytes: -1, replicas: 1 });
    nc.subscribe("vigie.v1.>", {
      callback: (_err, m) => {
        received.push(JSON.parse(m.string()) as Envelope);
      },
    });
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-docker-outage-"));
    agent = await startAgent({
      natsUrl: nats.url,
      intervalMs: 500,
      listen: "127.0.0.1:0",
      dataDir,
      hostRoot: "/",
      spoolMaxBytes: 16 << 20,
      nodeId: "docker-outage-node",
      hostname: "docker-outage-host",
      log: testLog,
    });
  });

  afterAll(async () => {
    await agent?.stop();
    await nc?.close();
    await nats?.dispose();
    // Whatever happened above, the engine is left running for the tests that follow.
    docker = await startDocker();
    for (const c of containers) await removeContainer(docker, c);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("reports docker down, keeps sampling the host, and resumes containers and events when the engine is back", async () => {
    await waitFor("docker up", async () => (await dockerUp()) === "1", 10_000);

    await stopDocker();
    await waitFor("vigie_agent_docker_up 0", async () => (await dockerUp()) === "0", 10_000);
    const down = await waitFor("a docker_down event on the wire", () => events().find((e) => e.type === "docker" && e.action === "docker_down"), 10_000);
    expect(down.resource).toEqual({ "host.name": "docker-outage-host", "node.id": "docker-outage-node" });
    const seen = metricsMessages().length;
    const hostOnly = await waitFor(
      "host metrics while docker is down",
      () => metricsMessages().slice(seen).find((m) => m.payload.resources.some((r) => r.metrics.some((x) => x.name === "system.cpu.time"))),
      10_000,
    );
    expect(hostOnly.payload.resources.every((r) => r.resource["container.id"] === undefined)).toBe(true);
    // The message says its containers are not known this cycle (not "none running").
    expect(hostOnly.payload.containersComplete).toBe(false);

    docker = await startDocker();
    await waitFor("vigie_agent_docker_up 1", async () => (await dockerUp()) === "1", 60_000, 200);
    await waitFor("a docker_up event on the wire", () => events().find((e) => e.type === "docker" && e.action === "docker_up"), 10_000);

    const { id, name } = await runContainer(docker, { cmd: ["sleep", "3600"], network: "none" });
    containers.push(name);
    await waitFor("the new container's start event (the events stream is back)", () => events().find((e) => e.resource["container.id"] === id && e.action === "start"), 60_000);
    const back = await waitFor("the new container's metrics", () => metricsMessages().find((m) => m.payload.resources.some((r) => r.resource["container.id"] === id)), 10_000);
    expect(back.payload.containersComplete).toBe(true);
  });
});
