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
import { ensureDocker, removeContainer, runContainer } from "../support/docker.js";
import { testLog } from "../support/log.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { waitFor } from "../support/wait.js";

describe("agent with containers: Swarm identity, container metrics and events on the wire", () => {
  let docker: Docker;
  let nats: NatsServer;
  let nc: NatsConnection;
  let agent: Agent;
  let dataDir: string;
  const received: Envelope[] = [];
  const containers: string[] = [];

  const events = () => received.filter((e): e is EnvelopeOf<"events"> => e.kind === "events").flatMap((e) => e.payload.events);
  const metricsMessages = () => received.filter((e): e is EnvelopeOf<"metrics"> => e.kind === "metrics");

  beforeAll(async () => {
    docker = await ensureDocker();
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    await ensureStreams(await jetstreamManager(nc), { maxAgeMs: 600_000, maxBytes: -1, replicas: 1 });
    // JetStream publishes are plain messages on their subject: a subscriber sees each one.
    nc.subscribe("vigie.v1.>", {
      callback: (_err, m) => {
        received.push(JSON.parse(m.string()) as Envelope);
      },
    });
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-containers-agent-"));
    agent = await startAgent({ natsUrl: nats.url, intervalMs: 500, listen: "127.0.0.1:0", dataDir, hostRoot: "/", spoolMaxBytes: 16 << 20, log: testLog });
  });

  afterAll(async () => {
    await agent?.stop();
    await nc?.close();
    await nats?.dispose();
    for (const c of containers) await removeContainer(docker, c);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("takes its node id and hostname from the Swarm node the engine belongs to", async () => {
    const info = (await docker.info()) as { Swarm: { NodeID: string }; Name: string };
    expect(agent.identity).toEqual({ nodeId: info.Swarm.NodeID, hostname: info.Name, source: "swarm" });
    const res = await fetch(`${agent.url}/metrics`);
    expect(await res.text()).toMatch(/^vigie_agent_docker_up 1$/m);
  });

  it("publishes a container's metrics with the node's identity, and its die as an events message within 2 s", async () => {
    const { id, name } = await runContainer(docker, { cmd: ["sleep", "3600"], network: "none" });
    containers.push(name);
    const start = await waitFor("the start event on the wire", () => events().find((e) => e.resource["container.id"] === id && e.action === "start"), 5_000);
    expect(start.resource).toMatchObject({ "host.name": agent.identity.hostname, "node.id": agent.identity.nodeId, "container.name": name });
    const withIt = await waitFor("the container's metrics on the wire", () => metricsMessages().find((m) => m.payload.resources.some((r) => r.resource["container.id"] === id)), 10_000);
    const rm = withIt.payload.resources.find((r) => r.resource["container.id"] === id);
    expect(rm?.metrics.map((m) => m.name)).toContain("container.memory.working_set");
    expect(withIt.payload.containersComplete).toBe(true);
    await removeContainer(docker, id);
    const die = await waitFor("the die event on the wire within 2 s", () => events().find((e) => e.resource["container.id"] === id && e.action === "die"), 2_000, 20);
    expect(die.type).toBe("container");
    const envelope = received.find((e) => e.kind === "events" && e.payload.events.includes(die));
    expect(envelope?.node).toEqual({ id: agent.identity.nodeId, hostname: agent.identity.hostname });
    // The next sample is complete without it: a reader knows it has gone, not that it is unknown.
    const after = received.indexOf(envelope as Envelope);
    const next = await waitFor("a metrics message after the die event", () => received.slice(after).find((e): e is EnvelopeOf<"metrics"> => e.kind === "metrics"), 5_000);
    expect(next.payload.containersComplete).toBe(true);
    expect(next.payload.resources.some((r) => r.resource["container.id"] === id)).toBe(false);
  });
});
