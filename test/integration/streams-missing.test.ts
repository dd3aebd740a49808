import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../agent/index.js";
import { STREAMS_MISSING } from "../../agent/publish/publisher.js";
import { startCollector, type Collector } from "../../collector/index.js";
import { captureLog } from "../support/log.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { agentTestOptions, collectorTestOptions } from "../support/vigie.js";
import { waitFor } from "../support/wait.js";

describe("an agent started before the collector (no streams yet)", () => {
  let nats: NatsServer;
  let dataDir: string;
  let agent: Agent | undefined;
  let collector: Collector | undefined;
  const captured = captureLog();

  beforeAll(async () => {
    nats = await startNats();
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-nostreams-"));
  });

  afterAll(async () => {
    await agent?.stop();
    await collector?.stop();
    await nats?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("says the streams are missing, who creates them and that messages wait in the spool; then delivers them", async () => {
    agent = await startAgent(agentTestOptions(nats.url, dataDir, { intervalMs: 200, nodeId: "early-node", hostname: "early-host", log: captured.log }));
    await waitFor("a failed publish logged", () => captured.lines.some((l) => l.level === 40 && /publish|stream/i.test(l.msg)), 15_000);
    const warning = captured.lines.find((l) => l.level === 40 && /stream/i.test(l.msg));
    expect(warning?.msg).toBe(STREAMS_MISSING);
    expect(warning?.msg).toMatch(/streams are missing/);
    expect(warning?.msg).toMatch(/collector creates them/);
    expect(warning?.msg).toMatch(/wait in the spool/);
    expect(warning?.subject).toMatch(/^vigie\.v1\./);
    // The client's own words stay in the fields, for whoever searches for them.
    expect(String(warning?.err)).toMatch(/jetstream is not enabled|no responders/i);
    expect(captured.lines.some((l) => l.msg === "publish failed; message kept in spool")).toBe(false);
    expect(agent.spool.size).toBeGreaterThan(0);

    collector = await startCollector(collectorTestOptions(nats.url, dataDir));
    await waitFor("the early messages stored by the collector", () => collector!.model.nodes(Date.now()).some((n) => n.node.id === "early-node"), 30_000);
    await waitFor("the spool drained", () => agent!.spool.size === 0, 30_000);
    expect(captured.lines.some((l) => l.level === 30 && /streams are there now/.test(l.msg))).toBe(true);
  }, 60_000);
});
