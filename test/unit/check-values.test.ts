import { describe, expect, it } from "vitest";
import { compileCondition } from "../../agent/checks/conditions.js";
import type { CheckDefinition } from "../../agent/checks/config.js";
import { judge } from "../../agent/checks/judge.js";
import { numericLeaves, VALUE_LIMITS } from "../../agent/checks/values.js";
import { valueAtPath } from "../../collector/autoscale/value-path.js";
import { CheckResult, MAX_CHECK_VALUES } from "../../protocol/index.js";

describe("numericLeaves (the numbers of a status body)", () => {
  it("gives every number and numeric string by the path a check:<path> policy names", () => {
    const body = { status: "UP", queue: { depth: 42, oldest: "12.5", name: "jobs" }, workers: [{ load: 0.5 }, { load: 1 }], ok: true, none: null, big: 1e300 };
    const values = numericLeaves(body);
    expect(values).toEqual({ "queue.depth": 42, "queue.oldest": 12.5, "workers[0].load": 0.5, "workers[1].load": 1, big: 1e300 });
    // The same paths the collector's policies read with valueAtPath.
    for (const [path, v] of Object.entries(values ?? {})) expect(valueAtPath(body, path)).toBe(v);
  });

  it("keeps shallow numbers first when a body has more than it keeps", () => {
    const deep = { a: { b: { c: { d: 1 } } } };
    const wide: Record<string, unknown> = { deep };
    for (let i = 0; i < 200; i++) wide[`n${i}`] = i;
    wide.queue = { depth: 7 };
    const values = numericLeaves(wide) ?? {};
    expect(Object.keys(values)).toHaveLength(MAX_CHECK_VALUES);
    expect(values.n0).toBe(0);
    expect(values["deep.a.b.c.d"]).toBeUndefined();
  });

  it("has no number to give for bodies that are not objects or hold none", () => {
    for (const body of [undefined, null, 42, "42", [1, 2, 3], { status: "UP" }, {}]) expect(numericLeaves(body)).toBeUndefined();
  });

  it("bounds a hostile body: depth, keys, nodes looked at, and what it keeps", () => {
    // A thousand levels: walked to the depth limit only.
    let nested: unknown = { n: 1 };
    for (let i = 0; i < 1000; i++) nested = { x: nested };
    expect(numericLeaves(nested)).toBeUndefined();
    const shallow = { x: { x: { n: 3 } } };
    expect(numericLeaves(shallow)).toEqual({ "x.x.n": 3 });

    // A million array items and 100,000 keys: a bounded look, a bounded answer.
    const huge = { items: Array.from({ length: 1_000_000 }, (_, i) => i), ...Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i])) };
    const values = numericLeaves(huge) ?? {};
    expect(Object.keys(values).length).toBeLessThanOrEqual(MAX_CHECK_VALUES);
    expect(Object.keys(values).filter((k) => k.startsWith("items[")).length).toBeLessThanOrEqual(VALUE_LIMITS.maxItems);

    // Keys a path cannot name, or that mean something to an object, are skipped with what is under them.
    const odd = JSON.parse(`{"${"k".repeat(65)}": 1, "a b": 2, "é": 3, "__proto__": {"n": 4}, "constructor": 5, "ok": {"n": 6}}`) as unknown;
    expect(numericLeaves(odd)).toEqual({ "ok.n": 6 });

    // Strings that only look like numbers, and numbers that are not finite once read.
    expect(numericLeaves({ a: "1e999", b: "12abc", c: " 3", d: "0x10", e: `${"9".repeat(60)}` })).toBeUndefined();

    // Nothing visited past the budget: a body of many empty objects yields nothing and stops.
    const empties = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`e${i}`, {}]));
    expect(numericLeaves({ ...empties, late: 1 })).toBeUndefined();
  });

  it("stays within what the protocol accepts, whatever the body", () => {
    const body = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`v${i}`, { inner: [i, i + 0.5] }]));
    const values = numericLeaves(body);
    const parsed = CheckResult.safeParse({
      check: { id: "container/x", name: "x", type: "http", intervalSeconds: 10 },
      target: {},
      resource: {},
      time: 1,
      up: true,
      status: "pass",
      state: "up",
      stateSince: 1,
      durationSeconds: 0,
      values,
    });
    expect(parsed.success).toBe(true);
    // And the protocol refuses more than it allows, or paths no policy could name.
    const base = parsed.success ? parsed.data : ({} as CheckResult);
    expect(CheckResult.safeParse({ ...base, values: Object.fromEntries(Array.from({ length: MAX_CHECK_VALUES + 1 }, (_, i) => [`v${i}`, i])) }).success).toBe(false);
    expect(CheckResult.safeParse({ ...base, values: { "a..b": 1 } }).success).toBe(false);
    expect(CheckResult.safeParse({ ...base, values: { a: Number.NaN } }).success).toBe(false);
    // Results of agents from before the field still read.
    const { values: _dropped, ...old } = base;
    expect(CheckResult.safeParse(old).success).toBe(true);
  });
});

describe("judge carries the body's numbers", () => {
  const def = (conditions: string[] = []): CheckDefinition => ({
    id: "container/x",
    name: "x",
    type: "http",
    url: new URL("http://127.0.0.1:1/"),
    method: "GET",
    headers: {},
    intervalMs: 10_000,
    timeoutMs: 1000,
    insecure: false,
    conditions: conditions.map((c) => compileCondition(c)),
    failureThreshold: 1,
    successThreshold: 1,
    resource: {},
    fingerprint: "x",
  });
  const outcome = (body: string, status = 200, contentType = "application/json") => ({ connected: true, durationMs: 5, phases: {}, status, contentType, body });

  it("puts the numbers of a JSON body in the verdict, whether the check passes or fails", () => {
    expect(judge(def(), outcome('{"queue":{"depth":42}}'), 0)).toMatchObject({ up: true, values: { "queue.depth": 42 } });
    expect(judge(def(["[BODY].queue.depth < 10"]), outcome('{"queue":{"depth":42}}'), 0)).toMatchObject({ up: false, values: { "queue.depth": 42 } });
    expect(judge(def(), outcome('{"queue":{"depth":42}}', 503), 0)).toMatchObject({ up: false, values: { "queue.depth": 42 } });
  });

  it("has none for a body that is not JSON, is cut, or holds no number", () => {
    expect(judge(def(), outcome("depth 42", 200, "text/plain"), 0).values).toBeUndefined();
    expect(judge(def(), { ...outcome('{"queue":{"depth":42'), bodyTruncated: true }, 0).values).toBeUndefined();
    expect(judge(def(), outcome('{"status":"UP"}'), 0).values).toBeUndefined();
  });
});
