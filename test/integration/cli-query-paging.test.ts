import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUERIES, type QueryContext } from "../../cli/query.js";
import { queryLogs } from "../../cli/logs.js";
import { startCollector, type Collector } from "../../collector/index.js";
import { encode, messageId, subjectFor, type CheckResult, type Envelope, type ResourceMetrics } from "../../protocol/index.js";
import { uniqueName } from "../support/docker.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { collectorTestOptions, getJson } from "../support/vigie.js";
import { waitFor } from "../support/wait.js";

/** More of each list than one page of the API holds (1,000). */
const NODES = 1_003;
const CONTAINER_NODES = 2;
const CONTAINERS_PER_NODE = 600;
const CHECK_NODES = 6;
const CHECKS_PER_NODE = 200;
const LOG_LINES = 1_500;

describe("vigie query follows the API's pages (real collector, real NATS)", () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let collector: Collector;
  let dataDir: string;
  const run = uniqueName("paging").replace(/[^A-Za-z0-9_-]/g, "-");
  const nodeId = (n: number) => `${run}-n${n}`;

  const header = (n: number, seq: number, time: number) => ({ schema: "vigie.v1" as const, node: { id: nodeId(n), hostname: `${nodeId(n)}-host` }, agent: { version: "t", bootId: `${run}-boot-${n}`, seq }, time });
  const container = (n: number, i: number): ResourceMetrics => ({
    resource: { "container.id": `${n}-${i}`.padStart(16, "0"), "container.name": `shop_s${n}x${i}.1.t${i}`, "service.name": `s${n}x${i}`, "service.namespace": "shop", "docker.swarm.service.name": `shop_s${n}x${i}` },
    metrics: [{ name: "container.memory.working_set", type: "updowncounter", unit: "By", points: [{ value: 4096 }] }],
  });
  const check = (i: number, time: number): CheckResult => ({
    check: { id: `config/c${i}`, name: `c${i}`, type: "http", intervalSeconds: 10 },
    target: { url: "http://127.0.0.1:8080/health", method: "GET" },
    resource: {},
    time, up: true, status: "pass", state: "up", stateSince: time, durationSeconds: 0.01,
  });
  const publish = async (env: Envelope) => jetstream(nc).publish(subjectFor(env.kind, env.node.id), encode(env), { msgID: messageId(env.agent.bootId, env.agent.seq) });
  /** Whether a list route holds at least `n` items: its item number n − 1 exists. */
  const holds = async (route: string, key: string, n: number) => ((await getJson<Record<string, unknown[]>>(`${collector.url}${route}?limit=1&offset=${n - 1}`))[key]?.length ?? 0) === 1;

  const query = async (what: string, options: Record<string, string | boolean> = {}, json = true) => {
    const out: string[] = [];
    const err: string[] = [];
    const ctx: QueryContext = { apiUrl: collector.url, json, out: (t) => out.push(t), err: (t) => err.push(t), options };
    await (what === "logs" ? queryLogs(ctx) : QUERIES[what]!(ctx));
    return { out: out.join("\n"), err };
  };

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-paging-"));
    collector = await startCollector(collectorTestOptions(nats.url, dataDir));
    const t = Date.now();
    for (let n = 0; n < NODES; n++) {
      const containers = n < CONTAINER_NODES ? Array.from({ length: CONTAINERS_PER_NODE }, (_, i) => container(n, i)) : [];
      await publish({ ...header(n, 1, t), kind: "metrics", payload: { resources: [{ resource: { "host.name": `${nodeId(n)}-host` }, metrics: [{ name: "system.memory.limit", type: "updowncounter", unit: "By", points: [{ value: 8e9 }] }] }, ...containers], containersComplete: true } });
    }
    for (let n = 0; n < CHECK_NODES; n++) {
      await publish({ ...header(n, 2, t), kind: "status", payload: { results: Array.from({ length: CHECKS_PER_NODE }, (_, i) => check(i, t)) } });
    }
    const records = Array.from({ length: LOG_LINES }, (_, i) => ({ timeUnixNano: `${t - LOG_LINES + i}000000`, severityNumber: 9, body: `line ${i}`, resource: { "container.name": "shop_s0x0.1.t0", "service.name": "s0x0", "service.namespace": "shop" } }));
    await publish({ ...header(0, 3, t), kind: "logs", payload: { records } });
    await waitFor("every node, container, service and check in the API", async () =>
      (await holds("/api/v1/nodes", "nodes", NODES)) &&
      (await holds("/api/v1/containers", "containers", CONTAINER_NODES * CONTAINERS_PER_NODE)) &&
      (await holds("/api/v1/services", "services", CONTAINER_NODES * CONTAINERS_PER_NODE)) &&
      (await holds("/api/v1/checks", "checks", CHECK_NODES * CHECKS_PER_NODE)),
    60_000, 200);
    await waitFor("every log line in the API", async () => {
      const first = await getJson<{ records: unknown[]; next: string | null }>(`${collector.url}/api/v1/logs?since=1h&limit=1000`);
      if (first.next === null) return false;
      const second = await getJson<{ records: unknown[] }>(`${collector.url}/api/v1/logs?since=1h&limit=1000&cursor=${encodeURIComponent(first.next)}`);
      return second.records.length === LOG_LINES - 1000;
    }, 30_000, 200);
  }, 120_000);

  afterAll(async () => {
    await nc?.close();
    await collector?.stop();
    await nats?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([
    ["nodes", NODES, (x: { id: string }) => x.id],
    ["containers", CONTAINER_NODES * CONTAINERS_PER_NODE, (x: { name: string }) => x.name],
    ["services", CONTAINER_NODES * CONTAINERS_PER_NODE, (x: { name: string }) => x.name],
    ["checks", CHECK_NODES * CHECKS_PER_NODE, (x: { node: string; id: string }) => `${x.node} ${x.id}`],
  ] as const)("prints every one of the %s, past the first page, each once, and says nothing on stderr", async (what, total, identity) => {
    const { out, err } = await query(what);
    const items = JSON.parse(out) as never[];
    expect(items).toHaveLength(total);
    expect(new Set(items.map((x) => (identity as (x: never) => string)(x))).size).toBe(total);
    expect(err).toEqual([]);
  });

  it("prints a table row per node over every page", async () => {
    const { out } = await query("nodes", {}, false);
    const lines = out.trim().split("\n");
    expect(lines[0]).toMatch(/^HOSTNAME\s+NODE ID/);
    expect(lines.slice(1).filter((l) => l.startsWith(`${run}-n`))).toHaveLength(NODES);
  });

  it("stops at --limit and says on stderr that the list was cut", async () => {
    const cut = await query("nodes", { limit: "1001" });
    expect(JSON.parse(cut.out)).toHaveLength(1001);
    expect(cut.err).toHaveLength(1);
    expect(cut.err[0]).toMatch(/first 1001 nodes; the collector holds more.*--limit/);
    const few = await query("checks", { limit: "5" }, false);
    expect(few.out.trim().split("\n")).toHaveLength(1 + 5);
    expect(few.err[0]).toMatch(/first 5 checks/);
    // A limit the list does not reach cuts nothing.
    const all = await query("containers", { limit: String(CONTAINER_NODES * CONTAINERS_PER_NODE) });
    expect([JSON.parse(all.out).length, all.err]).toEqual([CONTAINER_NODES * CONTAINERS_PER_NODE, []]);
  });

  it("refuses a --limit that is not a whole number in range, naming it", async () => {
    for (const bad of ["0", "-3", "ten", "1e3", "99999999"]) await expect(query("nodes", { limit: bad })).rejects.toThrow(new RegExp(`--limit must be a whole number.*${JSON.stringify(bad)}`));
  });

  it("follows the log search's pages past the API's largest answer, printing the newest lines oldest first", async () => {
    const all = await query("logs", { since: "1h", limit: "1200" }, false);
    const lines = all.out.split("\n");
    expect(lines).toHaveLength(1200);
    expect(lines[0]).toContain(`line ${LOG_LINES - 1200}`);
    expect(lines[1199]).toContain(`line ${LOG_LINES - 1}`);
    expect(all.err[0]).toMatch(/newest 1200 log lines; older ones may match/);
    const every = await query("logs", { since: "1h", limit: "5000" }, false);
    expect(every.out.split("\n")).toHaveLength(LOG_LINES);
    expect(every.err).toEqual([]);
  });
});
