import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { buildApi } from "../../collector/api/server.js";
import { TokenRegistry } from "../../collector/auth/tokens.js";
import { LogStore, logRoutes, registerLogMetrics } from "../../collector/logs/index.js";
import type { EnvelopeOf, LogRecord } from "../../protocol/index.js";

const T0 = 1_764_000_000_000;
const ADMIN = "admin-token-0123456789";
const SHOP = "shop-token-0123456789ab";

function rec(offsetMs: number, body: string, severityNumber: number, stack: string, service: string): LogRecord {
  return {
    timeUnixNano: `${T0 + offsetMs}000000`,
    severityNumber,
    body,
    resource: { "container.name": `${stack}_${service}.1.abc`, "container.id": "f".repeat(64), "service.name": service, "service.namespace": stack, "docker.swarm.service.name": `${stack}_${service}` },
  };
}

interface Answer {
  records: { body: string; stack: string; [k: string]: unknown }[];
  next: string | null;
  tail: string;
  error: { code: string; field?: string };
}

function env(seq: number, records: LogRecord[]): EnvelopeOf<"logs"> {
  return { schema: "vigie.v1", kind: "logs", node: { id: "n1", hostname: "worker-1" }, agent: { version: "t", bootId: "b", seq }, time: T0, payload: { records } };
}

describe("GET /api/v1/logs", () => {
  const store = new LogStore(":memory:");
  let now = T0 + 60_000;
  let app: FastifyInstance;
  const get = async (query: string, token = ADMIN) => {
    const res = await app.inject({ method: "GET", url: `/api/v1/logs${query}`, headers: { authorization: `Bearer ${token}` } });
    return { status: res.statusCode, body: res.json<Answer>() };
  };

  beforeAll(() => {
    store.append(
      env(1, [
        rec(0, "GET /health 200", 9, "shop", "web"),
        rec(1000, "upstream timed out (110: Connection timed out)", 17, "shop", "web"),
        rec(2000, "disk almost full", 13, "shop", "db"),
        rec(3000, "blog secret error", 17, "blog", "web"),
      ]),
      T0 + 3000,
    );
    app = buildApi({
      tokens: new TokenRegistry([{ token: ADMIN, scope: "admin" }, { token: SHOP, scope: "read", stacks: ["shop"], name: "shop-reader" }]),
      routes: [logRoutes({ store, now: () => now })],
    });
  });
  afterAll(async () => {
    await app.close();
    store.close();
  });

  it("answers newest first with readable times, severity names and cursors", async () => {
    const { status, body } = await get("");
    expect(status).toBe(200);
    expect(body.records.map((r) => r.body)).toEqual(["blog secret error", "disk almost full", "upstream timed out (110: Connection timed out)", "GET /health 200"]);
    expect(body.records[0]).toMatchObject({ node: "worker-1", stack: "blog", service: "web", severity: "ERROR", severityNumber: 17, time: new Date(T0 + 3000).toISOString() });
    expect(body.next).toBeNull();
    expect(typeof body.tail).toBe("string");
  });

  it("filters by service, severity name or number, since as a duration, and words", async () => {
    expect((await get("?service=shop_web&severity=error")).body.records.map((r) => r.body)).toEqual(["upstream timed out (110: Connection timed out)"]);
    expect((await get("?severity=13&stack=shop")).body.records).toHaveLength(2);
    now = T0 + 4000;
    expect((await get("?since=2s")).body.records.map((r) => r.body)).toEqual(["blog secret error", "disk almost full"]);
    expect((await get(`?until=${new Date(T0 + 500).toISOString()}`)).body.records.map((r) => r.body)).toEqual(["GET /health 200"]);
    expect((await get("?q=timed%20out")).body.records).toHaveLength(1);
  });

  it("never lets FTS syntax in q become a server error", async () => {
    for (const q of ['"', "AND", "OR NOT", "(", "NEAR(a b", "*", "a:b", "-x", 'col:"x', "^foo", "'; DROP TABLE log_records; --", "💥", "\u0000"]) {
      const { status } = await get(`?q=${encodeURIComponent(q)}`);
      expect([200, 400], q).toContain(status);
    }
    expect((await get(`?q=${encodeURIComponent("(110:")}`)).body.records).toHaveLength(1);
  });

  it("pages with next and follows with tail", async () => {
    const first = await get("?limit=2");
    expect(first.body.records).toHaveLength(2);
    const second = await get(`?limit=2&cursor=${first.body.next}`);
    expect(second.body.records.map((r) => r.body)).toEqual(["upstream timed out (110: Connection timed out)", "GET /health 200"]);
    store.append(env(2, [rec(4000, "new line", 9, "shop", "web")]), T0 + 4000);
    const tail = await get(`?after=${first.body.tail}`);
    expect(tail.body.records.map((r) => r.body)).toEqual(["new line"]);
    expect((await get(`?after=${tail.body.tail}`)).body.records).toEqual([]);
  });

  it("shows a stack-limited token only its stacks' records", async () => {
    const all = await get("?limit=100", SHOP);
    expect(all.body.records.length).toBeGreaterThan(0);
    expect(all.body.records.every((r) => r.stack === "shop")).toBe(true);
    expect((await get("?stack=blog", SHOP)).body.records).toEqual([]);
    expect((await get("?q=secret", SHOP)).body.records).toEqual([]);
  });

  it("refuses bad parameters with a 400 that names them", async () => {
    const cases: [string, string][] = [
      ["?severity=loud", "severity"],
      ["?since=yesterday", "since"],
      ["?since=99999999999999999", "since"],
      ["?until=9999999999999999", "until"],
      ["?since=1m&until=2m", "since"],
      ["?cursor=bm90LWEtY3Vyc29y", "cursor"],
      ["?after=../../etc", "after"],
      ["?limit=100000", "limit"],
      ["?limit=0", "limit"],
      ["?colour=red", "colour"],
      [`?q=${"a".repeat(2000)}`, "q"],
      [`?q=${Array.from({ length: 20 }, (_, i) => `w${i}`).join("+")}`, "q"],
    ];
    for (const [query, field] of cases) {
      const { status, body } = await get(query);
      expect(status, query).toBe(400);
      expect(body.error.field, query).toBe(field);
    }
  });

  it("needs a token", async () => {
    const res = await app.inject({ method: "GET", url: "/api/v1/logs" });
    expect(res.statusCode).toBe(401);
  });

  it("documents the route in the OpenAPI document", async () => {
    const doc = (await app.inject({ method: "GET", url: "/api/v1/openapi.json", headers: { authorization: `Bearer ${ADMIN}` } })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).toContain("/api/v1/logs");
  });
});

describe("vigie_log_records_total", () => {
  it("counts stored records by node, stack, service and severity range", async () => {
    const store = new LogStore(":memory:");
    store.append(env(1, [rec(0, "a", 17, "shop", "web"), rec(1, "b", 20, "shop", "web"), rec(2, "c", 0, "shop", "web")]), T0);
    const registry = new Registry();
    registerLogMetrics(registry, store);
    const text = await registry.metrics();
    expect(text).toContain('vigie_log_records_total{node="worker-1",stack="shop",service="web",severity="ERROR"} 2');
    expect(text).toContain('vigie_log_records_total{node="worker-1",stack="shop",service="web",severity="UNSPECIFIED"} 1');
    expect(text).toMatch(/vigie_log_store_records 3/);
    // Twice in a row gives the same totals (collect resets, never adds twice).
    expect(await registry.metrics()).toContain('severity="ERROR"} 2');
    store.close();
  });
});

describe("ftsQuery", () => {
  it("quotes every term so operators are words, keeps phrases and prefixes", async () => {
    const { ftsQuery } = await import("../../collector/logs/index.js");
    expect(ftsQuery("connection AND refused")).toEqual({ ok: true, match: '"connection" "AND" "refused"' });
    expect(ftsQuery('"timed out" db*')).toEqual({ ok: true, match: '"timed out" "db"*' });
    expect(ftsQuery('say "hi')).toEqual({ ok: true, match: '"say" "hi"' });
    expect(ftsQuery('a"b')).toEqual({ ok: true, match: '"a""b"' });
    expect(ftsQuery("*** ()")).toMatchObject({ ok: false });
  });
});

describe("parseSeverity", () => {
  it("reads names, source words and numbers, and refuses the rest", async () => {
    const { parseSeverity } = await import("../../collector/logs/index.js");
    expect(["error", "ERR", "warn", "warning", "fatal", "crit", "notice", "17", "0", "24"].map(parseSeverity)).toEqual([17, 17, 13, 13, 21, 18, 10, 17, 0, 24]);
    expect(["25", "-1", "loud", "", "constructor"].map(parseSeverity)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});
