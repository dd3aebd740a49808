import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../agent/index.js";
import { startCollector, type Collector } from "../../collector/index.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { agentTestOptions, collectorTestOptions } from "../support/vigie.js";
import { waitFor } from "../support/wait.js";

interface NodeView {
  id: string;
  hostname: string;
  cpu: { cores: number; utilization?: number } | null;
  memory: { totalBytes: number; usedBytes?: number } | null;
  messages: { received: number; duplicates: number; missing: number };
}

const INTERVAL = 500;

describe("agent → NATS JetStream → collector → API", () => {
  let nats: NatsServer;
  let dataDir: string;
  let collector: Collector | undefined;
  let agent: Agent | undefined;

  const collectorOptions = () => collectorTestOptions(nats.url, dataDir);

  const nodes = async (): Promise<NodeView[]> => {
    const res = await fetch(`${collector!.url}/api/v1/nodes`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { nodes: NodeView[] }).nodes;
  };

  beforeAll(async () => {
    nats = await startNats();
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-pipeline-"));
  });

  afterAll(async () => {
    await agent?.stop();
    await collector?.stop();
    await nats?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("shows the agent's node in /api/v1/nodes within two intervals, with CPU and memory", async () => {
    collector = await startCollector(collectorOptions());
    agent = await startAgent(agentTestOptions(nats.url, dataDir, { intervalMs: INTERVAL, nodeId: "pipeline-node-1", hostname: "pipeline-host-1" }));
    const started = Date.now();
    const node = await waitFor("the node in /api/v1/nodes", async () => (await nodes()).find((n) => n.id === "pipeline-node-1"), 2 * INTERVAL + 1500);
    expect(Date.now() - started).toBeLessThan(2 * INTERVAL + 1500);
    expect(node.hostname).toBe("pipeline-host-1");
    expect(node.memory?.totalBytes).toBeGreaterThan(0);
    expect(node.cpu?.cores).toBeGreaterThan(0);
    // The second sample turns cumulative CPU seconds into a utilization.
    const withCpu = await waitFor("a CPU utilization", async () => (await nodes()).find((n) => n.cpu?.utilization !== undefined), 5 * INTERVAL);
    expect(withCpu.cpu!.utilization).toBeGreaterThanOrEqual(0);
    expect(withCpu.cpu!.utilization).toBeLessThanOrEqual(1);
  });

  it("accounts for every sample published while the collector was down: none lost, none counted twice", async () => {
    await collector!.stop();
    collector = undefined;
    const seqBefore = agent!.outbox.lastSeq;
    // The agent goes on sampling and publishing; JetStream keeps what the collector has not taken.
    await waitFor("five more samples", () => agent!.outbox.lastSeq >= seqBefore + 5, 10 * INTERVAL);
    await agent!.stop();
    const published = agent!.outbox.lastSeq;
    expect(agent!.spool.size).toBe(0);
    agent = undefined;

    collector = await startCollector(collectorOptions());
    const node = await waitFor(
      "all published samples ingested",
      async () => (await nodes()).find((n) => n.id === "pipeline-node-1" && n.messages.received === published),
      10_000,
    );
    expect(node.messages).toEqual({ received: published, duplicates: 0, missing: 0 });
  });
});
