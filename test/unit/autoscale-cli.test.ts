import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUERIES } from "../../cli/query.js";
import { buildApi } from "../../collector/api/server.js";
import { TokenRegistry } from "../../collector/auth/tokens.js";
import { AuditTrail } from "../../collector/autoscale/audit.js";
import type { AutoscalerStatus } from "../../collector/autoscale/autoscaler.js";
import { autoscaleRoutes } from "../../collector/autoscale/routes.js";

const T0 = 1_700_000_000_000;

describe("vigie query autoscale and /api/v1/autoscale/events", () => {
  const audit = new AuditTrail();
  const status: AutoscalerStatus = {
    dryRun: false,
    leader: true,
    intervalMs: 15_000,
    tolerance: 0.1,
    stabilizationMs: 300_000,
    lastEvaluation: T0,
    services: [
      {
        service: "shop_web",
        stack: "shop",
        policy: { service: "shop_web", source: "labels", min: 1, max: 8, metric: { kind: "cpu" }, target: 0.7, targetUnit: "ratio", cooldownUpMs: 30_000, cooldownDownMs: 60_000 },
        replicas: 4,
        desired: 4,
      },
      { service: "ops_bad", stack: "ops", error: 'service ops_bad: autoscaling policy invalid, service left alone: vigie.autoscale.max="x": expected a whole number of replicas', replicas: 1 },
    ],
  };
  const app = buildApi({ routes: [autoscaleRoutes({ autoscaler: { status: () => ({ ...status, services: status.services.map((s) => ({ ...s, lastDecision: audit.last(s.service) })) }) }, audit })] });
  let url = "";
  beforeAll(async () => {
    audit.record({ time: T0, service: "shop_web", reason: "scaled", direction: "up", from: 2, to: 4, dryRun: false, message: "observed/target 1.60: 2 → 4", inputs: { ratio: 1.6 } });
    audit.record({ time: T0 + 15_000, service: "shop_web", reason: "tolerance", direction: "none", from: 4, to: 4, dryRun: false, message: "observed/target 1.02 is within the tolerance", inputs: {} });
    audit.record({ time: T0 + 30_000, service: "shop_web", reason: "tolerance", direction: "none", from: 4, to: 4, dryRun: false, message: "observed/target 0.98 is within the tolerance", inputs: {} });
    url = await app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await app.close();
  });

  it("lists the services, their bounds and metric, and the latest decisions folded", async () => {
    const lines: string[] = [];
    await QUERIES.autoscale?.({ apiUrl: url, json: false, out: (t) => lines.push(t) });
    const text = lines.join("\n");
    expect(text).toContain("autoscaler: acting on this collector");
    expect(text).toMatch(/shop_web\s+4\s+4\s+1-8\s+cpu @ 70%\s+tolerance ×2/);
    expect(text).toContain('invalid: service ops_bad: autoscaling policy invalid, service left alone: vigie.autoscale.max="x"');
    expect(text).toMatch(/scaled\s+2 → 4\s+observed\/target 1.60/);
  });

  it("filters events by service and reason, and rejects unknown parameters", async () => {
    const res = await app.inject({ method: "GET", url: "/api/v1/autoscale/events?reason=scaled" });
    expect(res.json<{ events: { service: string; reason: string; time: string }[] }>().events).toEqual([expect.objectContaining({ service: "shop_web", reason: "scaled", time: new Date(T0).toISOString() })]);
    const bad = await app.inject({ method: "GET", url: "/api/v1/autoscale/events?servce=x" });
    expect(bad.statusCode).toBe(400);
    const wrongReason = await app.inject({ method: "GET", url: "/api/v1/autoscale/events?reason=whatever" });
    expect(wrongReason.statusCode).toBe(400);
  });

  it("shows a stack-limited token only its stacks' services and decisions", async () => {
    const token = "shop-reader-token-0123456789";
    const limited = buildApi({
      tokens: new TokenRegistry([{ token, scope: "read", stacks: ["ops"] }]),
      routes: [autoscaleRoutes({ autoscaler: { status: () => status }, audit })],
    });
    const headers = { authorization: `Bearer ${token}` };
    const res = await limited.inject({ method: "GET", url: "/api/v1/autoscale", headers });
    expect(res.json<{ services: { service: string }[] }>().services.map((s) => s.service)).toEqual(["ops_bad"]);
    const events = await limited.inject({ method: "GET", url: "/api/v1/autoscale/events", headers });
    expect(events.json<{ events: unknown[] }>().events).toEqual([]);
    await limited.close();
  });
});
