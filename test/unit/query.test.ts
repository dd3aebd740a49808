import { afterEach, describe, expect, it } from "vitest";
import { buildApi } from "../../collector/api/server.js";
import { queryRoutes } from "../../collector/api/routes/query.js";
import { MetricsHistory } from "../../collector/history/store.js";
import { evaluateRange, parseMatcher } from "../../collector/history/query.js";
import { TokenRegistry } from "../../collector/auth/tokens.js";
import type { EnvelopeOf } from "../../protocol/index.js";

const T0 = 1_700_000_000_000 - (1_700_000_000_000 % 60_000);

function env(node: string, seq: number, time: number, userSeconds: number, mem: number, stack?: string): EnvelopeOf<"metrics"> {
  return {
    schema: "vigie.v1", kind: "metrics", node: { id: node, hostname: node }, agent: { version: "t", bootId: "b", seq }, time,
    payload: {
      resources: [
        { resource: {}, metrics: [{ name: "system.cpu.time", type: "counter", unit: "s", points: [{ attributes: { "cpu.mode": "user", "cpu.logical_number": 0 }, value: userSeconds }] }] },
        { resource: { "container.id": `${node}-c`, "container.name": `${stack ?? "x"}_web.1.t`, "service.namespace": stack ?? "other" }, metrics: [{ name: "container.memory.usage", type: "updowncounter", unit: "By", points: [{ value: mem }] }] },
      ],
    },
  };
}

describe("/api/v1/query and /api/v1/query_range", () => {
  let now = T0;
  let history: MetricsHistory;
  const app = () => {
    history = new MetricsHistory(":memory:", { now: () => now, windowMs: 600_000 });
    // Two nodes, 10 s apart samples; a busy at 0.5 CPU, b at 0.25 CPU.
    for (let i = 0; i <= 6; i++) {
      history.append(env("a", i + 1, T0 + i * 10_000, i * 5, 100 + i, "shop"));
      history.append(env("b", i + 1, T0 + i * 10_000, i * 2.5, 200, "blog"));
    }
    now = T0 + 60_000;
    return buildApi({ routes: [queryRoutes({ history, now: () => now, limits: { maxSteps: 100 } })] });
  };
  afterEach(() => history?.close());

  it("answers the latest rate of a counter per series", async () => {
    const res = await app().inject({ url: "/api/v1/query?metric=system.cpu.time&match[]=node=a" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ metric: "system.cpu.time", time: now / 1000, results: [{ labels: { node: "a", "cpu.mode": "user" }, time: now / 1000, value: 0.5 }] });
  });

  it("aggregates across series by the chosen labels", async () => {
    const res = await app().inject({ url: "/api/v1/query?metric=system.cpu.time&agg=sum&by=cpu.mode" });
    expect(res.json().results).toEqual([{ labels: { "cpu.mode": "user" }, time: now / 1000, value: 0.75 }]);
  });

  it("answers a range with one point per step", async () => {
    const res = await app().inject({ url: `/api/v1/query_range?metric=container.memory.usage&match[]=node=a&from=${T0 / 1000}&to=${(T0 + 60_000) / 1000}&step=20s&agg=max` });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.source).toBe("raw");
    expect(body.series[0].points).toEqual([[T0 / 1000, 100], [(T0 + 20_000) / 1000, 102], [(T0 + 40_000) / 1000, 104], [(T0 + 60_000) / 1000, 106]]);
  });

  it("answers from the 1-minute rollups beyond the raw window", async () => {
    const a = app();
    history.maintain(T0 + 3 * 60_000); // closes the last minutes (quiet since)
    history.flush();
    now = T0 + 3_600_000;
    const res = await a.inject({ url: `/api/v1/query_range?metric=container.memory.usage&match[]=node=a&from=${T0 / 1000 - 60}&to=${(T0 + 120_000) / 1000}&step=60s&agg=avg` });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.source).toBe("rollup");
    // Minute [T0, T0+60s) holds 100..105 (avg 102.5); the sample at T0+60 s opens the next minute.
    expect(body.series[0].points[0]).toEqual([(T0 + 60_000) / 1000, 102.5]);
  });

  it("hides series of other stacks from a principal limited to a stack", () => {
    // Exercised through the API with tokens in auth.test.ts; here the matcher grammar.
    expect(parseMatcher("service.namespace=~shop|blog")).toMatchObject({ op: "=~" });
    expect(typeof parseMatcher("9bad=x")).toBe("string");
  });

  it.each([
    ["/api/v1/query", "metric"],
    ["/api/v1/query?metric=system.cpu.time&bogus=1", "bogus"],
    ["/api/v1/query?metric=system.cpu.time&agg=median", "agg"],
    ["/api/v1/query?metric=system.cpu.time&match[]=node%3D~(", "match[]"],
    ["/api/v1/query?metric=system.cpu.time&match[]=-x", "match[]"],
    ["/api/v1/query?metric=system.cpu.time&time=yesterday", "time"],
    ["/api/v1/query_range?metric=system.cpu.time&from=200&to=100", "from"],
    ["/api/v1/query_range?metric=system.cpu.time&from=0&to=100000&step=1s", "step"],
    ["/api/v1/query_range?metric=system.cpu.time&step=0.1", "step"],
  ])("refuses %s with a 400 naming %s", async (url, field) => {
    const res = await app().inject({ url });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.field).toBe(field);
    expect(res.json().error.message).toContain(field);
  });
});

describe("evaluateRange", () => {
  it("leaves out steps without samples", () => {
    const src = { labels: { node: "a" }, forEach: (_f: number, _t: number, fn: (t: number, v: number) => void) => fn(25_000, 3) };
    expect(evaluateRange([src], { from: 0, to: 40_000, step: 10_000 })).toEqual([{ labels: { node: "a" }, points: [[30, 3]] }]);
  });
});

describe("label matchers with regular expressions", () => {
  it("runs a pattern that backtracks exponentially in V8 over a long value, in linear time (RE2)", () => {
    // With a backtracking engine, ^(?:(a|aa)*b)$ over 200 a's does not finish in a lifetime.
    const m = parseMatcher("node=~(a|aa)*b");
    expect(typeof m).toBe("object");
    const re = (m as Exclude<ReturnType<typeof parseMatcher>, string>).re!;
    expect(re.test("a".repeat(200))).toBe(false);
    expect(re.test(`${"a".repeat(200)}b`)).toBe(true);
  });

  it("anchors as Prometheus does: the whole value must match each alternative", () => {
    const re = (parseMatcher("node=~a|b") as Exclude<ReturnType<typeof parseMatcher>, string>).re!;
    expect([re.test("a"), re.test("b"), re.test("ab"), re.test("xa")]).toEqual([true, true, false, false]);
  });

  it("refuses what RE2 does not have (back-references, look-arounds) as a bad parameter", async () => {
    for (const bad of ["(a)\\1", "(?=a)a", "a{1001}"]) expect(typeof parseMatcher(`node=~${bad}`)).toBe("string");
  });

  it("a stack-limited token's hostile regex answers at once over many series", async () => {
    const history = new MetricsHistory(":memory:", { now: () => T0 + 60_000, windowMs: 600_000 });
    for (let i = 0; i < 50; i++) history.append(env("a".repeat(200) + i, 1, T0 + 50_000, 1, 1, i % 2 ? "shop" : "blog"));
    const app = buildApi({ tokens: new TokenRegistry([{ token: "shop-token-0123456789", scope: "read", stacks: ["shop"] }]), routes: [queryRoutes({ history, now: () => T0 + 60_000 })] });
    const res = await app.inject({ url: `/api/v1/query?metric=container.memory.usage&match[]=${encodeURIComponent("node=~(a|aa)*b")}`, headers: { authorization: "Bearer shop-token-0123456789" } });
    expect(res.statusCode).toBe(200);
    expect(res.json().results).toEqual([]);
    history.close();
  });
});
