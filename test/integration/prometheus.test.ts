import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../agent/index.js";
import { startCollector, type Collector } from "../../collector/index.js";
import { encode, messageId, subjectFor, type Envelope } from "../../protocol/index.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { testLog } from "../support/log.js";
import { promtoolCheckMetrics, startPrometheus, type Prometheus } from "../support/prometheus.js";
import { waitFor } from "../support/wait.js";

const HOSTNAME = "vigie-prom-host";

/** A node with two Swarm task containers, published as an agent would. */
function containerEnvelope(seq: number, time: number): Envelope {
  const container = (id: string, slot: number) => ({
    resource: {
      "container.id": id,
      "container.name": `shop_web.${slot}.task${slot}`,
      "container.image.name": "shop/web:1.2",
      "service.name": "web",
      "service.namespace": "shop",
      "docker.swarm.service.name": "shop_web",
      "docker.swarm.task.slot": slot,
    },
    metrics: [
      { name: "container.cpu.time", type: "counter" as const, unit: "s", points: [{ attributes: { "cpu.mode": "user" }, value: 10 * seq }, { attributes: { "cpu.mode": "system" }, value: 2 * seq }] },
      { name: "container.memory.usage", type: "updowncounter" as const, unit: "By", points: [{ value: 50e6 }] },
      { name: "container.memory.working_set", type: "updowncounter" as const, unit: "By", points: [{ value: 40e6 }] },
      { name: "container.network.io", type: "counter" as const, unit: "By", points: [{ attributes: { "network.interface.name": "eth0", "network.io.direction": "receive" }, value: 1000 * seq }, { attributes: { "network.interface.name": "eth0", "network.io.direction": "transmit" }, value: 500 * seq }] },
    ],
  });
  return {
    schema: "vigie.v1",
    kind: "metrics",
    node: { id: "swarm-node-b", hostname: "worker-b" },
    agent: { version: "test", bootId: "boot-b", seq },
    time,
    payload: { resources: [{ resource: { "host.name": "worker-b" }, metrics: [{ name: "system.cpu.load_average.1m", type: "gauge", unit: "{load}", points: [{ value: 0.42 }] }] }, container("c1", 1), container("c2", 2)] },
  };
}

describe("Prometheus exposition under node_exporter / cAdvisor names, read by a real Prometheus", () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let dataDir: string;
  let collector: Collector;
  let agent: Agent;
  let prometheus: Prometheus | undefined;
  let seq = 0;

  const scrape = async () => (await fetch(`${collector.url}/metrics`)).text();
  const publishContainers = async () => {
    seq++;
    await jetstream(nc).publish(subjectFor("metrics", "swarm-node-b"), encode(containerEnvelope(seq, Date.now())), { msgID: messageId("boot-b", seq) });
  };

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-exposition-"));
    collector = await startCollector({
      natsUrl: nats.url, listen: "127.0.0.1:0", dataDir, streamMaxAgeMs: 3_600_000, streamMaxBytes: -1, streamReplicas: 1, durable: "vigie-collector", log: testLog,
      absence: { defaultIntervalMs: 1000, downAfterMs: 60_000 },
    });
    agent = await startAgent({
      natsUrl: nats.url, intervalMs: 500, listen: "127.0.0.1:0", dataDir, hostRoot: "/", spoolMaxBytes: 16 * 1024 * 1024, nodeId: "prom-node-a", hostname: HOSTNAME, log: testLog,
    });
    await publishContainers();
  });

  afterAll(async () => {
    await prometheus?.stop();
    await agent?.stop();
    await collector?.stop();
    await nc?.close();
    await nats?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves the real node's memory and CPU as node_exporter names with its hostname as `node`", async () => {
    const text = await waitFor("node_memory_MemAvailable_bytes of the agent's node", async () => {
      // The simulated node reports like an agent: a node silent for 3 intervals leaves /metrics.
      await publishContainers();
      const t = await scrape();
      return t.includes(`node_memory_MemAvailable_bytes{node="${HOSTNAME}",node_id="prom-node-a"}`) && t.includes("container_memory_working_set_bytes{") ? t : undefined;
    });
    const available = new RegExp(`^node_memory_MemAvailable_bytes\\{node="${HOSTNAME}",node_id="prom-node-a"\\} (\\d+)$`, "m").exec(text);
    expect(Number(available?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(new RegExp(`^node_cpu_seconds_total\\{node="${HOSTNAME}",node_id="prom-node-a",cpu="0",mode="idle"\\} [\\d.e+]+$`, "m"));
    // user + system CPU seconds of the latest message: (10 + 2) × its sequence number.
    const usage = /^container_cpu_usage_seconds_total\{node="worker-b",node_id="swarm-node-b",name="shop_web\.1\.task1",image="shop\/web:1\.2",container_label_com_docker_swarm_service_name="shop_web",container_label_com_docker_stack_namespace="shop"\} (\d+)$/m.exec(text);
    expect(Number(usage?.[1]) % 12).toBe(0);
    expect(Number(usage?.[1])).toBeGreaterThan(0);
    expect(text).toContain(`vigie_node_status{node="${HOSTNAME}",node_id="prom-node-a",status="up"} 1`);
    expect(text).toMatch(/^vigie_exposition_bytes \d+$/m);
  });

  it("passes promtool check metrics, with only the findings node_exporter's own names carry", async () => {
    await publishContainers();
    const { code, findings } = await promtoolCheckMetrics(await scrape());
    // node_exporter's own names: camelCase meminfo/netstat/sockstat fields, netstat and vmstat counters without _total, entropy in bits.
    const ownNames = [
      /^node_(memory|netstat|sockstat)_\w+ metric names should be written in 'snake_case' not 'camelCase'$/,
      /^node_(netstat|vmstat)_\w+ counter metrics should have "_total" suffix$/,
      /^node_entropy_\w+_bits use base unit "bytes" instead of "bits"$/,
    ];
    const unexpected = findings.filter((f) => !ownNames.some((r) => r.test(f.replace(/:/, ""))));
    expect(unexpected).toEqual([]);
    // promtool exits 3 for lint findings and 1 for a text that does not parse.
    expect([0, 3]).toContain(code);
    expect(findings.some((f) => f.includes("node_memory_MemAvailable_bytes"))).toBe(true);
  });

  it("is scraped by a real Prometheus, which answers node_memory_MemAvailable_bytes for the node by hostname", async () => {
    const target = collector.url.replace(/^http:\/\//, "");
    prometheus = await startPrometheus({ targets: [target] });
    const samples = await waitFor("the series in Prometheus", async () => {
      const r = await prometheus!.query(`node_memory_MemAvailable_bytes{node="${HOSTNAME}"}`);
      return r.length > 0 ? r : undefined;
    }, 30_000, 250);
    expect(samples).toHaveLength(1);
    expect(Number(samples[0]!.value[1])).toBeGreaterThan(0);
    const [t] = await prometheus.targets();
    expect(t?.health).toBe("up");
    // cAdvisor names keep working with the queries people already have.
    const ws = await waitFor("a container series in Prometheus", async () => {
      await publishContainers();
      const r = await prometheus!.query('sum by (container_label_com_docker_swarm_service_name) (container_memory_working_set_bytes{container_label_com_docker_stack_namespace="shop"})');
      return r.length > 0 ? r : undefined;
    }, 30_000, 250);
    expect(ws[0]!.metric.container_label_com_docker_swarm_service_name).toBe("shop_web");
    expect(Number(ws[0]!.value[1])).toBe(80e6);
  });
});
