import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../agent/index.js";
import type { CheckTarget } from "../../agent/checks/index.js";
import { startCollector, type Collector } from "../../collector/index.js";
import { QUERIES } from "../../cli/query.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { agentTestOptions, collectorTestOptions } from "../support/vigie.js";
import { waitFor } from "../support/wait.js";

interface CheckView {
  id: string;
  name: string;
  node: string;
  state: string;
  since: string;
  up: boolean;
  status: string;
  error: { type: string; message: string } | null;
  failedCondition: string | null;
  resource: Record<string, string>;
  recent: { up: boolean }[];
}

const HOST = "checks-e2e-host";

describe("status checks: agent → NATS JetStream → collector → API and /metrics", () => {
  let nats: NatsServer;
  let dataDir: string;
  let collector: Collector | undefined;
  let agent: Agent | undefined;
  let app: Server;
  let port: number;
  let healthy = true;
  let targets: CheckTarget[] = [];

  const checks = async (): Promise<CheckView[]> => {
    const res = await fetch(`${collector!.url}/api/v1/checks?recent=10`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { checks: CheckView[] }).checks;
  };
  const check = async (id: string) => (await checks()).find((c) => c.id === id);
  const metrics = async () => (await fetch(`${collector!.url}/metrics`)).text();

  beforeAll(async () => {
    nats = await startNats();
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-checks-e2e-"));
    app = createServer((_req, res) => {
      if (healthy) res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ status: "UP", components: { db: { status: "UP" } } }));
      else res.writeHead(503, { "content-type": "application/json" }).end(JSON.stringify({ status: "DOWN", components: { db: { status: "DOWN" } } }));
    });
    await new Promise<void>((r) => app.listen(0, "127.0.0.1", r));
    port = (app.address() as { port: number }).port;
    targets = [
      { id: "a".repeat(64), name: "shop_web.1.x1", service: "shop_web", hostNetwork: true, labels: { "vigie.check.port": String(port), "vigie.check.path": "/actuator/health", "vigie.check.interval": "300ms", "com.docker.stack.namespace": "shop" } },
      { id: "b".repeat(64), name: "shop_db.1.y2", service: "shop_db", hostNetwork: false, labels: { "vigie.check.port": "5432", "vigie.check.scheme": "tcp", "com.docker.stack.namespace": "shop" } },
    ];
    collector = await startCollector(collectorTestOptions(nats.url, dataDir));
    agent = await startAgent({
      ...agentTestOptions(nats.url, dataDir),
      intervalMs: 1000,
      nodeId: "checks-e2e-node",
      hostname: HOST,
      checks: [{ name: "billing", url: `http://127.0.0.1:${port}/health`, interval: "300ms", timeout: "250ms", failureThreshold: 2, conditions: ["[STATUS] == 200", "[BODY].status == UP"] }],
      checkTargets: async () => targets,
    });
  });

  afterAll(async () => {
    await agent?.stop();
    await collector?.stop();
    await nats?.dispose();
    await new Promise((r) => app?.close(r));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("shows configured and discovered checks in /api/v1/checks, and a label error with its reason", async () => {
    const billing = await waitFor("billing up in the API", async () => {
      const c = await check("config/billing");
      return c?.state === "up" ? c : undefined;
    });
    expect(billing).toMatchObject({ name: "billing", node: HOST, up: true, status: "pass", error: null });
    const web = await waitFor("the discovered web check", async () => {
      const c = await check("container/shop_web.1.x1");
      return c?.state === "up" ? c : undefined;
    });
    expect(web).toMatchObject({ name: "shop_web", resource: { "service.name": "web", "service.namespace": "shop", "container.name": "shop_web.1.x1" } });
    const db = await waitFor("the db check in error", () => check("container/shop_db.1.y2"));
    expect(db).toMatchObject({ state: "error", up: false, error: { type: "config" } });
    expect(db.error?.message).toContain("needs host networking");
    // Still in error, it names the endpoint its labels declare.
    expect(db).toMatchObject({ type: "tcp", target: { url: "tcp://127.0.0.1:5432" } });
  });

  it("answers `vigie query checks` with a table of the checks", async () => {
    let out = "";
    await QUERIES.checks!({ apiUrl: collector!.url, json: false, out: (t) => (out += t) });
    expect(out).toMatch(/^NODE\s+CHECK\s+STATE/);
    expect(out).toMatch(new RegExp(`${HOST}\\s+billing \\(config/billing\\)\\s+up`));
    expect(out).toContain("config: ");
  });

  it("exposes probe_success and friends with check, service and node labels", async () => {
    const text = await waitFor("probe_success in /metrics", async () => {
      const t = await metrics();
      return t.includes(`probe_success{check="shop_web",service="web",node="${HOST}"} 1`) ? t : undefined;
    });
    expect(text).toContain(`probe_success{check="billing",service="",node="${HOST}"} 1`);
    expect(text).toContain(`probe_success{check="shop_db",service="db",node="${HOST}"} 0`);
    expect(text).toMatch(new RegExp(`probe_http_status_code\\{check="billing",service="",node="${HOST}"\\} 200`));
    expect(text).toMatch(new RegExp(`probe_duration_seconds\\{check="billing",service="",node="${HOST}"\\} \\d`));
    expect(text).toContain(`vigie_check_state{check="shop_db",service="db",node="${HOST}",state="error"} 1`);
  });

  it("reports the check down after its failure threshold, with the failing component, and since when", async () => {
    const before = (await check("config/billing"))!;
    healthy = false;
    const down = await waitFor("billing down", async () => {
      const c = await check("config/billing");
      return c?.state === "down" ? c : undefined;
    });
    expect(down.error).toMatchObject({ type: "body_status" });
    expect(down.error?.message).toContain("failing: db");
    expect(Date.parse(down.since)).toBeGreaterThan(Date.parse(before.since));
    expect(down.recent.some((r) => r.up) && down.recent.some((r) => !r.up)).toBe(true);
    await waitFor("probe_success 0", async () => (await metrics()).includes(`probe_success{check="billing",service="",node="${HOST}"} 0`));
    healthy = true;
  });

  it("forgets the check of a container that is gone", async () => {
    targets = targets.filter((t) => t.name !== "shop_web.1.x1");
    await agent!.checks.discover();
    await waitFor("the web check gone from the API", async () => (await check("container/shop_web.1.x1")) === undefined || undefined);
    expect(await check("config/billing")).toBeDefined();
    await waitFor("the web check gone from /metrics", async () => !(await metrics()).includes('check="shop_web"') || undefined);
  });
});
