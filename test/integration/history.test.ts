import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../agent/index.js";
import { startCollector, type Collector, type CollectorOptions } from "../../collector/index.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { testLog } from "../support/log.js";
import { waitFor } from "../support/wait.js";

interface RangeBody {
  source: string;
  series: { labels: Record<string, string>; points: [number, number][] }[];
}

describe("metrics history through real NATS: query, and rebuilt after a collector restart", () => {
  let nats: NatsServer;
  let dataDir: string;
  let collector: Collector | undefined;
  let agent: Agent | undefined;
  const options = (): CollectorOptions => ({
    natsUrl: nats.url, listen: "127.0.0.1:0", dataDir, streamMaxAgeMs: 3_600_000, streamMaxBytes: -1, streamReplicas: 1, durable: "vigie-collector", log: testLog,
    history: { windowMs: 600_000, intervalMs: 500 },
  });
  const range = async (): Promise<RangeBody> => {
    const res = await fetch(`${collector!.url}/api/v1/query_range?metric=system.cpu.time&match[]=node=history-host&agg=sum&by=node&step=1s&from=${Math.floor(Date.now() / 1000) - 300}`);
    expect(res.status).toBe(200);
    return (await res.json()) as RangeBody;
  };

  beforeAll(async () => {
    nats = await startNats();
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-history-"));
  });
  afterAll(async () => {
    await agent?.stop();
    await collector?.stop();
    await nats?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("answers the node's CPU use as a rate (CPU seconds per second) between 0 and its core count", async () => {
    collector = await startCollector(options());
    agent = await startAgent({ natsUrl: nats.url, intervalMs: 500, listen: "127.0.0.1:0", dataDir, hostRoot: "/", spoolMaxBytes: 1 << 24, nodeId: "history-node", hostname: "history-host", log: testLog });
    const body = await waitFor("three CPU rate points", async () => {
      const b = await range();
      return (b.series[0]?.points.length ?? 0) >= 3 ? b : undefined;
    });
    expect(body.source).toBe("raw");
    expect(body.series[0]!.labels).toEqual({ node: "history-host" });
    const cores = (await (await fetch(`${collector.url}/api/v1/nodes/history-node`)).json()) as { cpu: { cores: number } };
    for (const [, v] of body.series[0]!.points) {
      // Summed over every mode, busy and idle, the rate is the number of cores (within sampling jitter).
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThan(cores.cpu.cores * 1.5);
    }
  });

  it("finds the same window again after a restart, read back from the stream", async () => {
    await agent!.stop();
    const published = agent!.outbox.lastSeq;
    agent = undefined;
    // Everything the agent published is stored before the window is read.
    await waitFor("every message ingested", async () => {
      const node = (await (await fetch(`${collector!.url}/api/v1/nodes/history-node`)).json()) as { messages: { received: number } };
      return node.messages.received === published;
    });
    const before = await range();
    const points = before.series[0]!.points.length;
    await collector!.stop();
    collector = await startCollector(options());
    const after = await range();
    expect(points).toBeGreaterThanOrEqual(3);
    // Every point of the window is there again, with the same value: replayed counter readings
    // pair as the live ones did, and samples keep their stored times across the restart.
    expect(after.series[0]!.points).toEqual(before.series[0]!.points);
  });
});
