import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../agent/index.js";
import { loadConfig } from "../../cli/config/load.js";
import { agentOptions, collectorOptions } from "../../cli/options.js";
import { startCollector, type Collector } from "../../collector/index.js";
import { BAD_CREDENTIALS, NO_CREDENTIALS } from "../../agent/publish/connection.js";
import { captureLog, testLog } from "../support/log.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { agentTestOptions, collectorTestOptions } from "../support/vigie.js";
import { waitFor } from "../support/wait.js";

// deploy/nats/nats.conf, as the stack runs it, with each side's credentials as the stack gives them:
// a password file (a Swarm secret) named by VIGIE_NATS_PASSWORD_FILE.
const CONFIG = path.resolve(import.meta.dirname, "../../deploy/nats/nats.conf");
const AGENT_PASSWORD = "agent-cred-test-password-42";
const COLLECTOR_PASSWORD = "collector-cred-test-password-42";

describe("agent and collector with the credentials of deploy/nats/nats.conf", () => {
  let nats: NatsServer;
  let dir: string;
  let agent: Agent | undefined;
  let collector: Collector | undefined;

  beforeAll(async () => {
    nats = await startNats({ config: CONFIG, env: { VIGIE_NATS_AGENT_PASSWORD: AGENT_PASSWORD, VIGIE_NATS_COLLECTOR_PASSWORD: COLLECTOR_PASSWORD } });
    dir = mkdtempSync(path.join(tmpdir(), "vigie-natscred-"));
    writeFileSync(path.join(dir, "agent-password"), `${AGENT_PASSWORD}\n`);
    writeFileSync(path.join(dir, "collector-password"), `${COLLECTOR_PASSWORD}\n`);
  });

  afterAll(async () => {
    await agent?.stop();
    await collector?.stop();
    await nats?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("an agent with the agent's credentials publishes metrics that a collector with the collector's credentials stores", async () => {
    const env = (user: string) => ({ VIGIE_NATS_URL: nats.url, VIGIE_NATS_USER: user, VIGIE_NATS_PASSWORD_FILE: path.join(dir, `${user}-password`) });
    const collectorConfig = collectorOptions(loadConfig({ env: env("collector") }), testLog);
    const agentConfig = agentOptions(loadConfig({ env: env("agent") }), testLog);
    expect(agentConfig.natsAuth).toEqual({ user: "agent", pass: AGENT_PASSWORD });
    expect(collectorConfig.natsAuth).toEqual({ user: "collector", pass: COLLECTOR_PASSWORD });

    collector = await startCollector(collectorTestOptions(nats.url, path.join(dir, "collector"), { natsAuth: collectorConfig.natsAuth }));
    agent = await startAgent(agentTestOptions(nats.url, path.join(dir, "agent"), { natsAuth: agentConfig.natsAuth, intervalMs: 200, nodeId: "cred-node", hostname: "cred-host" }));

    await waitFor("the agent's host metrics stored by the collector", () => collector!.model.nodes(Date.now()).some((n) => n.node.id === "cred-node"), 20_000);
    await waitFor("several messages acknowledged", () => agent!.publisher.stats.published >= 3, 20_000);
    expect(agent.publisher.stats.errors).toBe(0);
    expect(collector.ingest.stats.accepted).toBeGreaterThanOrEqual(3);
  }, 60_000);

  it("a collector without credentials is refused, and says so", async () => {
    await expect(startCollector(collectorTestOptions(nats.url, path.join(dir, "anon")))).rejects.toThrow(/cannot connect to NATS.*(authorization|auth)/i);
  });

  it("an agent with a wrong password, or none, spools, never publishes, and says what to fix", async () => {
    for (const [name, natsAuth, expected] of [
      ["wrong", { user: "agent", pass: "not-the-password" }, BAD_CREDENTIALS],
      ["anon", undefined, NO_CREDENTIALS],
    ] as const) {
      const captured = captureLog();
      const spy = await startAgent(agentTestOptions(nats.url, path.join(dir, `spy-${name}`), { natsAuth, intervalMs: 200, nodeId: `spy-${name}`, hostname: `spy-${name}`, log: captured.log }));
      try {
        await waitFor("the refusal logged", () => captured.lines.some((l) => l.msg === expected), 15_000);
        await waitFor("messages waiting in the spool", () => spy.spool.size >= 2, 15_000);
        expect(spy.publisher.stats.published).toBe(0);
        expect(collector!.model.nodes(Date.now()).some((n) => n.node.id === `spy-${name}`)).toBe(false);
        const refusal = captured.lines.find((l) => l.msg === expected);
        expect(refusal?.level).toBe(50);
        expect(JSON.stringify(captured.lines)).not.toContain("not-the-password");
      } finally {
        await spy.stop();
      }
    }
  }, 60_000);
});
