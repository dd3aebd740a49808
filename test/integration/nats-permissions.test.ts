import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, AckPolicy } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { ensureStreams } from "../../collector/ingest/streams.js";
import { startNats, type NatsServer } from "../support/nats.js";

// deploy/nats/nats.conf as the stack runs it: agents may publish their records and nothing else.
const CONFIG = path.resolve(import.meta.dirname, "../../deploy/nats/nats.conf");
const AGENT_PASSWORD = "agent-test-password-0123";
const COLLECTOR_PASSWORD = "collector-test-password-0123";

describe("NATS permissions of deploy/nats/nats.conf", () => {
  let nats: NatsServer;
  let collector: NatsConnection;
  let agent: NatsConnection;

  beforeAll(async () => {
    nats = await startNats({ config: CONFIG, env: { VIGIE_NATS_AGENT_PASSWORD: AGENT_PASSWORD, VIGIE_NATS_COLLECTOR_PASSWORD: COLLECTOR_PASSWORD } });
    collector = await connect({ servers: nats.url, user: "collector", pass: COLLECTOR_PASSWORD });
    await ensureStreams(await jetstreamManager(collector), { maxAgeMs: 3_600_000, maxBytes: -1, replicas: 1 });
    agent = await connect({ servers: nats.url, user: "agent", pass: AGENT_PASSWORD });
  });

  afterAll(async () => {
    await agent?.close();
    await collector?.close();
    await nats?.dispose();
  });

  it("refuses a client without credentials, and one with a wrong password", async () => {
    await expect(connect({ servers: nats.url, reconnect: false })).rejects.toThrow(/authorization|auth/i);
    await expect(connect({ servers: nats.url, user: "agent", pass: "wrong", reconnect: false })).rejects.toThrow(/authorization|auth/i);
  });

  it("lets the agent publish its records into JetStream and have them acknowledged", async () => {
    const ack = await jetstream(agent).publish("vigie.v1.metrics.node-1", JSON.stringify({ test: true }), { msgID: "boot:1" });
    expect(ack.stream).toBe("VIGIE_METRICS");
    const info = await (await jetstreamManager(collector)).streams.info("VIGIE_METRICS");
    expect(info.state.messages).toBe(1);
  });

  it("refuses the agent reading a stream: no stream info, no consumer, no direct get, no subscription to the data", async () => {
    const agentJsm = await jetstreamManager(agent, { timeout: 2000 }).catch((err: unknown) => err as Error);
    // jetstreamManager() asks for the account info ($JS.API.INFO, allowed); what follows is refused.
    expect(agentJsm).not.toBeInstanceOf(Error);
    const jsm = agentJsm as Awaited<ReturnType<typeof jetstreamManager>>;
    await expect(jsm.streams.info("VIGIE_METRICS")).rejects.toThrow(/permission|timeout|no responders/i);
    await expect(jsm.consumers.add("VIGIE_METRICS", { durable_name: "spy", ack_policy: AckPolicy.Explicit })).rejects.toThrow(/permission|timeout|no responders/i);
    await expect(jsm.streams.getMessage("VIGIE_METRICS", { seq: 1 })).rejects.toThrow(/permission|timeout|no responders/i);

    // A core subscription to the agents' subjects is refused by the server (a permissions violation).
    const received: string[] = [];
    const errors: string[] = [];
    const sub = agent.subscribe("vigie.v1.>", {
      callback: (err, m) => {
        if (err) errors.push(err.message);
        else received.push(m.subject);
      },
    });
    await agent.flush();
    await jetstream(collector).publish("vigie.v1.metrics.node-2", "{}", { msgID: "boot:2" });
    await new Promise((r) => setTimeout(r, 500));
    if (!sub.isClosed()) sub.unsubscribe();
    expect(received).toEqual([]);
    expect(errors.join(" ")).toMatch(/permission/i);
    // The agent's consumer was never created.
    const consumers = await (await jetstreamManager(collector)).consumers.list("VIGIE_METRICS").next();
    expect(consumers.map((c) => c.name)).not.toContain("spy");
  });

  it("refuses the agent publishing dead letters", async () => {
    await expect(jetstream(agent).publish("vigie.v1.deadletter", "{}", { timeout: 1500 })).rejects.toThrow(/permission|timeout|no responders/i);
    const before = (await (await jetstreamManager(collector)).streams.info("VIGIE_DEADLETTER")).state.messages;
    expect(before).toBe(0);
  });

  it("lets the agent watch the check definitions the collector publishes, and nothing else of KV", async () => {
    const bucket = await new Kvm(collector).create("VIGIE_CHECKS", { history: 1 });
    await bucket.put("svc1", JSON.stringify({ service: "shop_api", labels: { "vigie.check.url": "http://127.0.0.1:8080/health" } }));
    const kv = await new Kvm(agent).open("VIGIE_CHECKS");
    const watch = await kv.watch();
    let seen: string | undefined;
    for await (const e of watch) {
      seen = e.string();
      break;
    }
    watch.stop();
    expect(seen).toContain("shop_api");
    // Writing a definition is the collector's business.
    await expect(kv.put("svc2", "{}")).rejects.toThrow(/permission|timeout|no responders/i);
    // Another bucket (the autoscaler's lease) stays out of reach.
    await new Kvm(collector).create("vigie_autoscale", { history: 1 });
    const other = await new Kvm(agent).open("vigie_autoscale");
    await expect(other.get("leader")).rejects.toThrow(/permission|timeout|no responders/i);
  });
});
