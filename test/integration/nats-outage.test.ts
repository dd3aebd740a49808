import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../agent/index.js";
import { startCollector, type Collector } from "../../collector/index.js";
import type { Envelope } from "../../protocol/index.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { testLog } from "../support/log.js";
import { waitFor } from "../support/wait.js";

describe("agent while NATS is down", () => {
  let nats: NatsServer;
  let dataDir: string;
  let agent: Agent;
  let collector: Collector;

  beforeAll(async () => {
    nats = await startNats();
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-outage-"));
    collector = await startCollector({
      natsUrl: nats.url,
      listen: "127.0.0.1:0",
      dataDir,
      streamMaxAgeMs: 3_600_000,
      streamMaxBytes: -1,
      streamReplicas: 1,
      durable: "vigie-collector",
      log: testLog,
    });
    agent = await startAgent({
      natsUrl: nats.url,
      intervalMs: 200,
      listen: "127.0.0.1:0",
      dataDir,
      hostRoot: "/",
      spoolMaxBytes: 64 * 1024 * 1024,
      nodeId: "outage-node",
      hostname: "outage-host",
      log: testLog,
    });
  });

  afterAll(async () => {
    await agent?.stop();
    await collector?.stop();
    await nats?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("spools while NATS is down and publishes everything, in order, after it comes back", async () => {
    await waitFor("first messages published", () => agent.publisher.stats.published >= 2);
    // A clean stop (SIGTERM). A SIGKILLed nats-server 2.9 can lose the last messages it already
    // acknowledged: its file store flushes asynchronously, which no client can make up for.
    await nats.stop();
    await waitFor("messages piling up in the spool", () => agent.spool.size >= 5, 15_000);
    const agentMetrics = await (await fetch(`${agent.url}/metrics`)).text();
    expect(agentMetrics).toMatch(/vigie_agent_nats_connected 0/);
    expect(Number(/vigie_agent_spool_messages (\d+)/.exec(agentMetrics)?.[1])).toBeGreaterThanOrEqual(5);

    await nats.restart();
    await waitFor("the spool drained", () => agent.spool.size === 0, 30_000);
    await agent.stop();
    const last = agent.outbox.lastSeq;

    // Every seq, once, in order, in the stream.
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info("VIGIE_METRICS");
    const seqs: number[] = [];
    for (let s = info.state.first_seq; s <= info.state.last_seq; s++) {
      const m = await jsm.streams.getMessage("VIGIE_METRICS", { seq: s });
      if (m) seqs.push(m.json<Envelope>().agent.seq);
    }
    await nc.close();
    expect(seqs).toEqual(Array.from({ length: last }, (_, i) => i + 1));

    // And the collector, which also lived through the outage, has them all exactly once.
    const node = await waitFor(
      "the collector to catch up",
      async () => {
        const body = (await (await fetch(`${collector.url}/api/v1/nodes`)).json()) as { nodes: { id: string; messages: { received: number; duplicates: number; missing: number } }[] };
        return body.nodes.find((n) => n.id === "outage-node" && n.messages.received === last);
      },
      30_000,
    );
    expect(node.messages).toEqual({ received: last, duplicates: 0, missing: 0 });
  });
});
