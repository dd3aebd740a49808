import Fastify from "fastify";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { CheckResult, EnvelopeOf } from "../../protocol/index.js";
import { ChecksState, checkRoutes, registerCheckMetrics } from "../../collector/checks/index.js";

const T0 = 1_800_000_000_000;

function result(id: string, time: number, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    check: { id, name: id.split("/")[1] ?? id, type: "http", intervalSeconds: 10 },
    target: { url: "http://127.0.0.1:8080/health", method: "GET" },
    resource: { "service.name": "web", "service.namespace": "shop" },
    time,
    up: true,
    status: "pass",
    state: "up",
    stateSince: T0,
    httpStatusCode: 200,
    durationSeconds: 0.01,
    ...extra,
  };
}

function envelope(node: string, results: CheckResult[], active?: string[]): EnvelopeOf<"status"> {
  return {
    schema: "vigie.v1",
    kind: "status",
    node: { id: node, hostname: `${node}-host` },
    agent: { version: "0.1.0", bootId: "b", seq: 1 },
    time: T0,
    payload: active ? { results, active } : { results },
  };
}

describe("collector check state", () => {
  it("keeps the newest result as current even when an older one arrives late", () => {
    const s = new ChecksState();
    s.apply(envelope("n1", [result("config/a", T0 + 2000, { up: false, state: "down" })]), T0);
    s.apply(envelope("n1", [result("config/a", T0 + 1000)]), T0);
    const [rec] = s.list();
    expect(rec?.last).toMatchObject({ time: T0 + 2000, state: "down" });
    expect(rec?.recent.map((r) => r.time)).toEqual([T0 + 2000, T0 + 1000]);
  });

  it("forgets checks the node no longer lists as active, and only that node's", () => {
    const s = new ChecksState();
    s.apply(envelope("n1", [result("container/a", T0), result("container/b", T0)]), T0);
    s.apply(envelope("n2", [result("container/a", T0)]), T0);
    s.apply(envelope("n1", [], ["container/b"]), T0);
    expect(s.list().map((r) => `${r.node.id}:${r.last.check.id}`)).toEqual(["n1:container/b", "n2:container/a"]);
  });

  it("marks a check stale after three missed intervals", () => {
    const s = new ChecksState();
    s.apply(envelope("n1", [result("config/a", T0)]), T0);
    const [rec] = s.list();
    expect(s.isStale(rec!, T0 + 20_000)).toBe(false);
    expect(s.isStale(rec!, T0 + 40_000)).toBe(true);
  });
});

describe("GET /api/v1/checks", () => {
  it("serves state, since and recent runs, filtered by node, service and state", async () => {
    const s = new ChecksState();
    s.apply(envelope("n1", [result("container/web", T0), result("container/web", T0 + 10_000, { up: false, status: "fail", error: { type: "http_status", message: "HTTP 503" } })]), T0 + 10_000);
    s.apply(envelope("n2", [result("config/db", T0, { resource: {}, state: "error", up: false, status: "unknown", error: { type: "config", message: "bad label" } })]), T0);
    // As the collector's API does: unknown parameters are refused, not dropped.
    const app = Fastify({ ajv: { customOptions: { removeAdditional: false } } });
    checkRoutes({ state: s, now: () => T0 + 11_000 })(app);
    const all = (await app.inject({ url: "/api/v1/checks" })).json<{ checks: Record<string, unknown>[] }>().checks;
    expect(all).toHaveLength(2);
    expect(all[0]).toMatchObject({ id: "container/web", node: "n1-host", state: "up", since: new Date(T0).toISOString(), up: false, error: { type: "http_status" }, stale: false });
    expect(all[0]?.recent).toHaveLength(2);
    const errors = (await app.inject({ url: "/api/v1/checks?state=error" })).json<{ checks: { id: string; error: { message: string } }[] }>().checks;
    expect(errors.map((c) => c.id)).toEqual(["config/db"]);
    expect(errors[0]?.error.message).toBe("bad label");
    expect((await app.inject({ url: "/api/v1/checks?node=n2-host" })).json<{ checks: unknown[] }>().checks).toHaveLength(1);
    expect((await app.inject({ url: "/api/v1/checks?service=web&recent=1" })).json<{ checks: { recent: unknown[] }[] }>().checks[0]?.recent).toHaveLength(1);
    expect((await app.inject({ url: "/api/v1/checks?colour=red" })).statusCode).toBe(400);
    await app.close();
  });
});

describe("probe_* metrics", () => {
  it("uses blackbox_exporter names with check, service and node, and combines replicas on one node", async () => {
    const s = new ChecksState();
    const notAfter = "2027-01-01T00:00:00.000Z";
    s.apply(
      envelope("n1", [
        result("container/shop_web.1.a", T0, { check: { id: "container/shop_web.1.a", name: "shop_web", type: "http", intervalSeconds: 10 }, tls: { notAfter, issuer: "CN=ca", subject: "CN=web", authorized: true } }),
        result("container/shop_web.2.b", T0, { check: { id: "container/shop_web.2.b", name: "shop_web", type: "http", intervalSeconds: 10 }, up: false, httpStatusCode: 503, durationSeconds: 0.5 }),
      ]),
      T0,
    );
    const registry = new Registry();
    registerCheckMetrics(registry, s, () => T0 + 1000);
    const text = await registry.metrics();
    const labels = '{check="shop_web",service="web",node="n1-host"}';
    expect(text).toContain(`probe_success${labels} 0`);
    expect(text).toContain(`probe_duration_seconds${labels} 0.5`);
    expect(text).toContain(`probe_http_status_code${labels} 503`);
    expect(text).toContain(`probe_ssl_earliest_cert_expiry${labels} ${Date.parse(notAfter) / 1000}`);
    // Stale checks leave the exposition.
    const later = new Registry();
    registerCheckMetrics(later, s, () => T0 + 3_600_000);
    expect(await later.metrics()).not.toContain("probe_success{");
  });
});

describe("/api/v1/checks with a stack-limited token", () => {
  it("shows a token limited to stack shop only shop's checks", async () => {
    const { buildApi } = await import("../../collector/api/server.js");
    const { TokenRegistry } = await import("../../collector/auth/tokens.js");
    const s = new ChecksState();
    s.apply(
      envelope("n1", [
        result("container/shop-web", T0),
        result("container/bank-api", T0, { resource: { "service.name": "api", "service.namespace": "bank" } }),
        result("config/edge", T0, { resource: {} }),
      ]),
      T0,
    );
    const app = buildApi({
      tokens: new TokenRegistry([
        { token: "shop-reader-token-0123456789", scope: "read", stacks: ["shop"] },
        { token: "admin-token-0123456789abcdef", scope: "admin" },
      ]),
      routes: [checkRoutes({ state: s, now: () => T0 })],
    });
    const ids = async (token: string) =>
      (await app.inject({ url: "/api/v1/checks", headers: { authorization: `Bearer ${token}` } })).json<{ checks: { id: string }[] }>().checks.map((c) => c.id).sort();
    expect(await ids("shop-reader-token-0123456789")).toEqual(["container/shop-web"]);
    expect(await ids("admin-token-0123456789abcdef")).toEqual(["config/edge", "container/bank-api", "container/shop-web"]);
    expect((await app.inject({ url: "/api/v1/checks" })).statusCode).toBe(401);
  });
});
