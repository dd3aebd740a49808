import { afterEach, describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { buildApi, type RouteModule } from "../../collector/api/server.js";
import { queryRoutes } from "../../collector/api/routes/query.js";
import { systemRoutes } from "../../collector/api/routes/system.js";
import { canSeeStack, parseTokensFile, TokenRegistry } from "../../collector/auth/tokens.js";
import { MetricsHistory } from "../../collector/history/store.js";
import type { EnvelopeOf } from "../../protocol/index.js";

const ADMIN = "admin-token-0123456789";
const READER = "read-token-0123456789ab";
const SHOP = "shop-only-token-0123456789";
const T0 = 1_700_000_000_000;

const adminRoute: RouteModule = (app) => {
  app.post("/api/v1/silences", { config: { scope: "admin" }, schema: { summary: "test" } }, async () => ({ ok: true }));
};

function container(stack: string, seq: number): EnvelopeOf<"metrics"> {
  return {
    schema: "vigie.v1", kind: "metrics", node: { id: "n1", hostname: "h1" }, agent: { version: "t", bootId: "b", seq }, time: T0 + seq,
    payload: { resources: [{ resource: { "container.id": stack, "container.name": `${stack}_web.1.x`, "service.namespace": stack }, metrics: [{ name: "container.memory.usage", type: "updowncounter", unit: "By", points: [{ value: 1 }] }] }] },
  };
}

describe("TokenRegistry", () => {
  const reg = new TokenRegistry([{ token: ADMIN, scope: "admin", name: "ops" }, { token: SHOP, scope: "read", stacks: ["shop"] }]);
  it("knows a configured token and what it may do", () => {
    expect(reg.authenticate(ADMIN)).toMatchObject({ name: "ops", scope: "admin" });
    expect(reg.authenticate(SHOP)?.stacks).toEqual(new Set(["shop"]));
  });
  it("refuses unknown tokens whatever their length", () => {
    for (const t of ["", "x", ADMIN.slice(0, -1), `${ADMIN}x`, ADMIN.toUpperCase()]) expect(reg.authenticate(t)).toBeUndefined();
  });
  it("is disabled with no token", () => expect(new TokenRegistry([]).enabled).toBe(false));
  it("limits a stack-bound principal to its stacks, and to nothing that belongs to no stack", () => {
    const p = reg.authenticate(SHOP)!;
    expect([canSeeStack(p, "shop"), canSeeStack(p, "blog"), canSeeStack(p, undefined)]).toEqual([true, false, false]);
  });
});

describe("parseTokensFile", () => {
  it("reads YAML entries with scopes and stacks", () => {
    expect(parseTokensFile(`tokens:\n  - { token: ${READER}, scope: read, stacks: [shop] }\n`)).toEqual([{ token: READER, scope: "read", stacks: ["shop"] }]);
  });
  it("reads an expiry time, and refuses one that is not a date", () => {
    expect(parseTokensFile(`tokens:\n  - { token: ${READER}, scope: read, expires: "2027-01-31T00:00:00Z" }\n`)[0]?.expires).toBe("2027-01-31T00:00:00Z");
    expect(() => parseTokensFile(`tokens:\n  - { token: ${READER}, scope: read, expires: soon }\n`, "tokens.yaml")).toThrow(/tokens\.yaml: tokens\.0\.expires/);
    expect(new TokenRegistry([{ token: READER, scope: "read", expires: "2027-01-31T00:00:00Z" }]).authenticate(READER)?.expires).toBe(Date.parse("2027-01-31T00:00:00Z"));
  });
  it("names the entry and field at fault", () => {
    expect(() => parseTokensFile(`tokens:\n  - { token: ${READER}, scope: root }\n`, "tokens.yaml")).toThrow(/tokens\.yaml: tokens\.0\.scope/);
    expect(() => parseTokensFile("tokens:\n  - { token: short, scope: read }\n")).toThrow(/at least 16/);
  });
});

describe("API authentication", () => {
  let history: MetricsHistory | undefined;
  afterEach(() => history?.close());
  const app = (metricsAuth = false) => {
    history = new MetricsHistory(":memory:", { now: () => T0 });
    history.append(container("shop", 1));
    history.append(container("blog", 2));
    return buildApi({
      tokens: new TokenRegistry([{ token: ADMIN, scope: "admin" }, { token: READER, scope: "read", name: "reader" }, { token: SHOP, scope: "read", stacks: ["shop"] }]),
      metricsAuth,
      routes: [systemRoutes({ registry: new Registry(), health: () => ({ ok: true, details: {} }) }), queryRoutes({ history, now: () => T0 + 10 }), adminRoute],
    });
  };
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  it("answers 401 as JSON, with a Bearer challenge, without a token", async () => {
    const res = await app().inject({ url: "/api/v1/query?metric=container.memory.usage" });
    expect(res.statusCode).toBe(401);
    expect(res.headers["www-authenticate"]).toMatch(/^Bearer/);
    expect(res.json()).toEqual({ error: { code: "unauthorized", message: expect.stringContaining("Bearer") } });
  });

  it("answers 401 for an unknown token and for a header that is not Bearer", async () => {
    expect((await app().inject({ url: "/api/v1/openapi.json", headers: bearer("nope-nope-nope-nope") })).json().error.code).toBe("unauthorized");
    expect((await app().inject({ url: "/api/v1/openapi.json", headers: { authorization: `Basic ${ADMIN}` } })).statusCode).toBe(401);
  });

  it("answers 403 when a read token asks for an admin route, and lets the admin through", async () => {
    const denied = await app().inject({ method: "POST", url: "/api/v1/silences", headers: bearer(READER) });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().error).toMatchObject({ code: "forbidden", message: expect.stringContaining("admin") });
    expect((await app().inject({ method: "POST", url: "/api/v1/silences", headers: bearer(ADMIN) })).statusCode).toBe(200);
  });

  it("keeps /healthz open, and /metrics open unless configured", async () => {
    expect((await app().inject({ url: "/healthz" })).statusCode).toBe(200);
    expect((await app().inject({ url: "/metrics" })).statusCode).toBe(200);
    expect((await app(true).inject({ url: "/metrics" })).statusCode).toBe(401);
    expect((await app(true).inject({ url: "/metrics", headers: bearer(READER) })).statusCode).toBe(200);
    expect((await app(true).inject({ url: "/metrics", headers: bearer(SHOP) })).statusCode).toBe(403);
  });

  it.each([
    "/metrics", "/%6detrics", "/%6D%65%74%72%69%63%73", "/metrics?x=1", "/%6detrics?format=text", "//metrics", "/./metrics", "/metrics/", "/api/../metrics",
    "/metrics%00", "/METRICS", "/metrics;x", "/metrics#x", "/%2fmetrics", "/metrics%2f",
  ])("judges %s on the route it reaches: never the exposition for a stack-limited token", async (url) => {
    const res = await app(true).inject({ url, headers: bearer(SHOP) });
    expect(res.statusCode).not.toBe(200);
    expect([400, 401, 403, 404]).toContain(res.statusCode);
    expect(res.json().error.code).toMatch(/^(forbidden|not_found|unauthorized|invalid_parameter)$/);
    // Without a token the same paths are refused too.
    expect((await app(true).inject({ url })).statusCode).not.toBe(200);
  });

  it("applies a route's scope under an encoded path, and keeps an encoded /healthz open", async () => {
    expect((await app().inject({ method: "POST", url: "/api/v1/%73ilences", headers: bearer(READER) })).statusCode).toBe(403);
    expect((await app().inject({ url: "/%68ealthz" })).statusCode).toBe(200);
    expect((await app().inject({ url: "/api/v1/%71uery?metric=container.memory.usage" })).statusCode).toBe(401);
  });

  it("refuses a token past its expiry time, with 401", async () => {
    let now = T0;
    const api = buildApi({
      tokens: new TokenRegistry([{ token: READER, scope: "read", name: "temp", expires: "2023-11-14T22:14:00Z" }]),
      routes: [systemRoutes({ registry: new Registry(), health: () => ({ ok: true, details: {} }) })],
      now: () => now,
      metricsAuth: true,
    });
    expect((await api.inject({ url: "/metrics", headers: bearer(READER) })).statusCode).toBe(200);
    now = Date.parse("2023-11-14T22:14:00Z");
    const res = await api.inject({ url: "/metrics", headers: bearer(READER) });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.message).toContain("expired");
  });

  it("never shows a stack-limited token the series of another stack", async () => {
    type Body = { results: { labels: Record<string, string> }[] };
    const all = (await app().inject({ url: "/api/v1/query?metric=container.memory.usage", headers: bearer(READER) })).json<Body>();
    expect(all.results.map((r) => r.labels["service.namespace"]).sort()).toEqual(["blog", "shop"]);
    const shop = (await app().inject({ url: "/api/v1/query?metric=container.memory.usage&match[]=service.namespace=~.*", headers: bearer(SHOP) })).json<Body>();
    expect(shop.results.map((r) => r.labels["service.namespace"])).toEqual(["shop"]);
  });

  it("documents every route in /api/v1/openapi.json, with its parameters", async () => {
    type Doc = { openapi: string; paths: Record<string, Record<string, { parameters: unknown; "x-vigie-scope"?: string }>> };
    const doc = (await app().inject({ url: "/api/v1/openapi.json", headers: bearer(READER) })).json<Doc>();
    expect(doc.openapi).toBe("3.0.3");
    const range = doc.paths["/api/v1/query_range"]!.get!;
    expect((range.parameters as { name: string }[]).map((p) => p.name)).toEqual(expect.arrayContaining(["metric", "match[]", "from", "to", "step", "agg", "by"]));
    expect(doc.paths["/api/v1/silences"]!.post!["x-vigie-scope"]).toBe("admin");
  });
});
