import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent, type AgentOptions } from "../../agent/index.js";
import { startCollector, type Collector } from "../../collector/index.js";
import { createService, DOCKER_SOCKET, ensureDocker, removeService, uniqueName } from "../support/docker.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { agentTestOptions, collectorTestOptions, getJson } from "../support/vigie.js";
import { waitFor } from "../support/wait.js";

/**
 * Container logs through the real pipeline: a Swarm service's lines read by the agent on the
 * real engine, sent through nats-server, stored by the collector and found through its API.
 */
interface ApiLog {
  node: string;
  nodeId: string;
  stack: string | null;
  service: string | null;
  swarmService: string | null;
  severityNumber: number;
  severity: string;
  severityText?: string;
  body: unknown;
  attributes?: Record<string, unknown>;
}
interface ApiPage {
  records: ApiLog[];
  next: string | null;
}

const ADMIN = "logs-pipeline-admin-token";
const OTHER = "logs-pipeline-other-stack-token";

describe("container logs: agent → NATS → collector → /api/v1/logs", () => {
  let docker: Docker;
  let nats: NatsServer;
  let dataDir: string;
  let collector: Collector;
  let agent: Agent | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  const stack = uniqueName("stk").replace(/-/g, "");
  const nodeId = uniqueName("node");
  const hostname = `${nodeId}-host`;

  const agentOptions = (): AgentOptions =>
    agentTestOptions(nats.url, dataDir, { nodeId, hostname, dockerSocket: DOCKER_SOCKET, logs: { pollInterval: 50, listInterval: 500 } });

  /** Every record of a query, all pages. */
  async function all(query: string, token = ADMIN): Promise<ApiLog[]> {
    const out: ApiLog[] = [];
    let cursor: string | null = null;
    do {
      const page: ApiPage = await getJson<ApiPage>(`${collector.url}/api/v1/logs?${query}&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, token);
      out.push(...page.records);
      cursor = page.next;
    } while (cursor);
    return out;
  }

  beforeAll(async () => {
    docker = await ensureDocker();
    nats = await startNats();
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-logs-pipeline-"));
    collector = await startCollector(
      collectorTestOptions(nats.url, dataDir, {
        apiTokens: [
          { token: ADMIN, scope: "admin" },
          { token: OTHER, scope: "read", stacks: [`${stack}x`] },
        ],
      }),
    );
    agent = await startAgent(agentOptions());
  });

  afterAll(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    await agent?.stop();
    await collector?.stop();
    await nats?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("finds a service's error line, stack trace, 1 MiB line and broken UTF-8 with their severity, service and node", async () => {
    const script = [
      "echo 'INFO starting'",
      "echo 'ERROR payment refused for order 42'",
      "printf '2026-12-02 10:00:00.000 ERROR 1 --- [main] c.s.Api : request failed\\njava.lang.IllegalStateException: db down\\n\\tat c.s.Api.handle(Api.java:42)\\n\\tat c.s.Api.run(Api.java:7)\\nCaused by: java.net.ConnectException: refused\\n\\t... 3 more\\n' >&2",
      "head -c 1048576 /dev/zero | tr '\\0' x; echo",
      "printf 'ERROR bad \\377\\376 bytes\\n'",
      "echo 'WARN after the big line'",
      "sleep 600",
    ].join("; ");
    const svc = await createService(docker, { name: `${stack}_api`, cmd: ["sh", "-c", script], containerLabels: { "com.docker.stack.namespace": stack } });
    cleanups.push(() => removeService(docker, svc.name));

    const errors = await waitFor(
      "the service's error lines through the API",
      async () => {
        const rs = await all(`service=${svc.name}&level=error`);
        return rs.some((r) => String(r.body).startsWith("ERROR bad")) && rs.some((r) => String(r.body).includes("request failed")) ? rs : undefined;
      },
      60_000,
      500,
    );
    for (const r of errors) {
      expect(r.severityNumber).toBeGreaterThanOrEqual(17);
      expect(r).toMatchObject({ node: hostname, nodeId, stack, service: "api", swarmService: svc.name });
    }
    expect(errors.find((r) => r.body === "ERROR payment refused for order 42")).toMatchObject({ severityNumber: 17, severity: "ERROR", severityText: "ERROR" });
    const trace = errors.find((r) => String(r.body).includes("request failed"));
    expect(trace?.attributes).toMatchObject({ "log.iostream": "stderr", "vigie.log.lines": 6 });
    expect(trace?.body).toContain("Caused by: java.net.ConnectException: refused");
    expect(errors.find((r) => String(r.body).startsWith("ERROR bad"))?.body).toBe("ERROR bad \ufffd\ufffd bytes");
    expect(errors.some((r) => r.body === "INFO starting")).toBe(false);

    const everything = await waitFor("the line after the big one", async () => {
      const rs = await all(`service=${svc.name}`);
      return rs.some((r) => r.body === "WARN after the big line") ? rs : undefined;
    }, 30_000, 500);
    const big = everything.find((r) => String(r.body).startsWith("xxxx"));
    expect(Buffer.byteLength(String(big?.body))).toBe(16 * 1024);
    expect(big?.attributes).toMatchObject({ "vigie.log.truncated": true, "vigie.log.original_bytes": 1024 * 1024 });
    expect(everything.find((r) => r.body === "INFO starting")).toMatchObject({ severityNumber: 9, node: hostname });

    // A token limited to another stack sees none of these lines, asked by service or not at all.
    expect(await all(`service=${svc.name}`, OTHER)).toEqual([]);
    expect((await all(`q=${encodeURIComponent('"payment refused for order 42"')}`, OTHER)).length).toBe(0);
    expect((await all(`q=${encodeURIComponent('"payment refused for order 42"')}`)).length).toBe(1);

    // The counts in /metrics, by service and severity range.
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    const line = metrics.split("\n").find((l) => l.startsWith("vigie_log_records_total{") && l.includes(`service="api"`) && l.includes(`stack="${stack}"`) && l.includes(`severity="ERROR"`));
    expect(line).toBeDefined();
    expect(Number(line?.split(" ").pop())).toBeGreaterThanOrEqual(3);
  });

  it("an agent stopped mid-stream and started again neither loses nor repeats a line", async () => {
    const n = 4000;
    const script = `i=0; while [ $i -lt ${n} ]; do echo "resume line $i"; [ $((i % 7)) -eq 0 ] && echo "resume err $i" >&2; i=$((i+1)); [ $((i % 200)) -eq 0 ] && sleep 0.3; done; sleep 600`;
    const svc = await createService(docker, { name: `${stack}_resume`, cmd: ["sh", "-c", script], containerLabels: { "com.docker.stack.namespace": stack } });
    cleanups.push(() => removeService(docker, svc.name));
    const numbers = (rs: ApiLog[], prefix: string) =>
      rs
        .map((r) => String(r.body))
        .filter((b) => b.startsWith(prefix))
        .map((b) => Number(b.slice(prefix.length)))
        .sort((a, b) => a - b);

    await waitFor("some lines through the API", async () => numbers(await all(`service=${svc.name}&q=resume`), "resume line ").length > 300, 60_000, 250);
    await agent!.stop();
    agent = undefined;
    // Everything the stopped agent accepted has reached the store; the stream was not over.
    await new Promise((r) => setTimeout(r, 1000));
    const before = numbers(await all(`service=${svc.name}&q=resume`), "resume line ").length;
    expect(before).toBeLessThan(n);

    agent = await startAgent(agentOptions());
    const records = await waitFor(
      "every line after the restart",
      async () => {
        const rs = await all(`service=${svc.name}&q=resume`);
        return numbers(rs, "resume line ").length >= n ? rs : undefined;
      },
      90_000,
      500,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const settled = await all(`service=${svc.name}&q=resume`);
    const range = Array.from({ length: n }, (_, i) => i);
    expect(numbers(settled, "resume line ")).toEqual(range);
    expect(numbers(settled, "resume err ")).toEqual(range.filter((i) => i % 7 === 0));
    expect(settled.length).toBe(records.length);
    expect(settled.every((r) => r.node === hostname)).toBe(true);
  });
});
