import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../agent/index.js";
import { startCollector, type Collector } from "../../collector/index.js";
import { KINDS, STREAMS, type Envelope } from "../../protocol/index.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { agentTestOptions, collectorTestOptions } from "../support/vigie.js";
import { waitFor } from "../support/wait.js";

describe("agent while NATS is down", () => {
  let nats: NatsServer;
  let dataDir: string;
  let agent: Agent;
  let collector: Collector;

  beforeAll(async () => {
    nats = await startNats();
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-outage-"));
    collector = await startCollector(collectorTestOptions(nats.url, dataDir));
    agent = await startAgent(agentTestOptions(nats.url, dataDir, { intervalMs: 200, nodeId: "outage-node", hostname: "outage-host" }));
  });

  afterAll(async () => {
    await agent?.stop();
    await collector?.stop();
    await nats?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("spools while NATS is killed and publishes everything, in order, after it comes back", async () => {
    await waitFor("first messages published", () => agent.publisher.stats.published >= 2);
    await nats.stop(true); // SIGKILL: no goodbye to the clients
    await waitFor("messages piling up in the spool", () => agent.spool.size >= 5, 15_000);
    const agentMetrics = await (await fetch(`${agent.url}/metrics`)).text();
    expect(agentMetrics).toMatch(/vigie_agent_nats_connected 0/);
    expect(Number(/vigie_agent_spool_messages (\d+)/.exec(agentMetrics)?.[1])).toBeGreaterThanOrEqual(5);
    // Not acknowledged within a second: on disk, where an agent restart would find them.
    const spoolDir = path.join(dataDir, "agent", "spool");
    await waitFor("unacknowledged messages written to disk", () => agent.spool.stats.writtenMessages >= 3, 5_000);
    expect(readdirSync(spoolDir).filter((f) => f.endsWith(".msg")).length).toBeGreaterThanOrEqual(3);

    await nats.restart();
    await waitFor("the spool drained", () => agent.spool.size === 0, 30_000);
    await agent.stop();
    const last = agent.outbox.lastSeq;

    // Every seq, once, across the streams (all kinds share the agent's sequence), in order within each.
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    const all: number[] = [];
    for (const kind of KINDS) {
      const info = await jsm.streams.info(STREAMS[kind].name);
      const seqs: number[] = [];
      for (let s = info.state.first_seq; s <= info.state.last_seq && info.state.messages > 0; s++) {
        const m = await jsm.streams.getMessage(STREAMS[kind].name, { seq: s });
        if (m) seqs.push(m.json<Envelope>().agent.seq);
      }
      // In order, but for messages the killed server had lost after acknowledging them: the
      // agent sends those again after the reconnect, so they land after newer ones.
      expect(inversions(seqs)).toBeLessThanOrEqual(agent.publisher.stats.recovered);
      all.push(...seqs);
    }
    await nc.close();
    expect(all.sort((a, b) => a - b)).toEqual(Array.from({ length: last }, (_, i) => i + 1));

    // And the collector, which also lived through the outage, has them all exactly once.
    const node = await waitFor(
      "the collector to catch up",
      async () => {
        const body = (await (await fetch(`${collector.url}/api/v1/nodes`)).json()) as { nodes: { id: string; messages: { received: number; duplicates: number; missing: number } }[] };
        return body.nodes.find((n) => n.id === "outage-node" && n.messages.received === last);
      },
      30_000,
    );
    // Each counted once: a redelivery (the collector's last ack died with the server) or a replayed
    // message it had already taken is recognised by its sequence number and only tallied as a duplicate.
    expect(node.messages.received).toBe(last);
    expect(node.messages.missing).toBe(0);
  });
});

/** Pairs out of order in a list of sequence numbers. */
function inversions(seqs: number[]): number {
  let n = 0;
  for (let i = 1; i < seqs.length; i++) if ((seqs[i] as number) < (seqs[i - 1] as number)) n++;
  return n;
}
