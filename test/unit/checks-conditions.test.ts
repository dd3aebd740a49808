import { describe, expect, it } from "vitest";
import { compileCondition, ConditionError, glob, type ProbeObservation } from "../../agent/checks/conditions.js";

const obs = (o: Partial<ProbeObservation> = {}): ProbeObservation => ({ responseTimeMs: 120, connected: true, ...o });
const run = (cond: string, o: Partial<ProbeObservation> = {}) => compileCondition(cond).evaluate(obs(o));
const jsonBody = (v: unknown) => ({ body: JSON.stringify(v), json: v });

function compileError(cond: string): ConditionError {
  try {
    compileCondition(cond);
  } catch (err) {
    expect(err).toBeInstanceOf(ConditionError);
    return err as ConditionError;
  }
  throw new Error(`expected ${cond} not to compile`);
}

describe("condition compiler", () => {
  it("evaluates [STATUS] and shows the value seen when it fails", () => {
    expect(run("[STATUS] == 200", { status: 200 })).toEqual({ success: true, pretty: "[STATUS] (200) == 200" });
    expect(run("[STATUS] == 200", { status: 503 })).toEqual({ success: false, pretty: "[STATUS] (503) == 200" });
  });

  it("accepts any() and pat() with == and !=", () => {
    expect(run("[STATUS] == any(200, 204)", { status: 204 }).success).toBe(true);
    expect(run("[STATUS] == any(200, 204)", { status: 500 }).success).toBe(false);
    expect(run("[STATUS] != any(500, 503)", { status: 200 }).success).toBe(true);
    expect(run("[BODY].name == pat(john*)", jsonBody({ name: "johnny" })).success).toBe(true);
    expect(run("[BODY].name == pat(*doe)", jsonBody({ name: "johnny" })).success).toBe(false);
  });

  it("compares [RESPONSE_TIME] in milliseconds and accepts durations", () => {
    expect(run("[RESPONSE_TIME] < 300", { responseTimeMs: 120 }).success).toBe(true);
    expect(run("[RESPONSE_TIME] < 100ms", { responseTimeMs: 120 }).success).toBe(false);
    expect(run("[RESPONSE_TIME] <= 1s", { responseTimeMs: 1000 }).success).toBe(true);
  });

  it("walks [BODY] paths with keys and indexes", () => {
    const body = jsonBody({ status: "UP", a: { b: [{ c: "x" }, { c: "y" }] }, items: [1, 2, 3], version: "1.2.3", ok: true, n: 5 });
    expect(run("[BODY].status == UP", body).success).toBe(true);
    expect(run("[BODY].a.b[1].c == y", body).success).toBe(true);
    expect(run("[BODY].a.b[0].c == y", body)).toEqual({ success: false, pretty: "[BODY].a.b[0].c (x) == y" });
    expect(run("len([BODY].items) > 0", body)).toEqual({ success: true, pretty: "len([BODY].items) (3) > 0" });
    expect(run("len([BODY].items) == 3", body).success).toBe(true);
    expect(run("has([BODY].version) == true", body).success).toBe(true);
    expect(run("has([BODY].missing) == false", body).success).toBe(true);
    expect(run("[BODY].ok == true", body).success).toBe(true);
    expect(run("[BODY].n >= 5", body).success).toBe(true);
    expect(run('[BODY].version == "1.2.3"', body).success).toBe(true);
  });

  it("fails, naming the reason, when a path is missing or the body is not JSON", () => {
    expect(run("[BODY].status == UP", jsonBody({}))).toEqual({ success: false, pretty: "[BODY].status (no such path) == UP" });
    expect(run("[BODY].status == UP", { body: "<html>", jsonError: "Unexpected token <" })).toEqual({ success: false, pretty: "[BODY].status (body is not JSON) == UP" });
    expect(run("len([BODY].items) > 0", jsonBody({ items: 3 })).success).toBe(false);
  });

  it("does not count a value that is not a number as 0", () => {
    const r = run("[BODY].count < 10", jsonBody({ count: "many" }));
    expect(r.success).toBe(false);
    expect(r.pretty).toContain("many is not a number");
    expect(run("[BODY].count > -1", jsonBody({ count: null })).success).toBe(false);
    expect(run("[BODY].count < 10", jsonBody({ count: "7" })).success).toBe(true);
  });

  it("compares [CERTIFICATE_EXPIRATION] with durations", () => {
    const day = 86_400_000;
    expect(run("[CERTIFICATE_EXPIRATION] > 72h", { certificateExpirationMs: 10 * day }).success).toBe(true);
    expect(run("[CERTIFICATE_EXPIRATION] > 72h", { certificateExpirationMs: day }).success).toBe(false);
    expect(run("[CERTIFICATE_EXPIRATION] > 72h", {})).toEqual({ success: false, pretty: "[CERTIFICATE_EXPIRATION] (no certificate) > 72h" });
  });

  it("reads [CONNECTED] as a boolean", () => {
    expect(run("[CONNECTED] == true", { connected: true }).success).toBe(true);
    expect(run("[CONNECTED] == true", { connected: false })).toEqual({ success: false, pretty: "[CONNECTED] (false) == true" });
  });

  it("compares a body that is not JSON as trimmed text, and reads [IP]", () => {
    expect(run("[BODY] == ok", { body: "ok\n" }).success).toBe(true);
    expect(run("[BODY] == pat(*ready*)", { body: "all ready now" }).success).toBe(true);
    expect(run("[IP] == 127.0.0.1", { ip: "127.0.0.1" }).success).toBe(true);
  });

  it("compares a duration-looking literal as text when the value is text", () => {
    expect(run("[BODY].v == 1d", jsonBody({ v: "1d" })).success).toBe(true);
  });

  it("says which condition reads the status or the body", () => {
    expect(compileCondition("[STATUS] == 200").readsStatus).toBe(true);
    expect(compileCondition("[BODY].a == 1").readsBodyJson).toBe(true);
    expect(compileCondition("[RESPONSE_TIME] < 5").readsBodyJson).toBe(false);
  });
});

describe("condition compiler errors", () => {
  it.each([
    ["[STATUS] = 200", 10, "unknown operator"],
    ["[STATUS] 200", 12, "no comparison operator"],
    ["[STATUS] == ", 12, "missing right operand"],
    [" == 200", 1, "missing left operand"],
    ["[STATUS] < abc", 12, "abc is not a number"],
    ["[STATUS] == abc", 13, "abc is not a number"],
    ["[STATUS] == any(200, abc)", 22, "abc is not a number"],
    ["[CONNECTED] > 1", 1, "is a boolean"],
    ["[CONNECTED] == yes", 16, "yes is not a boolean"],
    ["[STATUZ] == 200", 2, "unknown placeholder [STATUZ]"],
    ["[STATUS].code == 200", 9, "only [BODY] takes a path"],
    ["[BODY].a[x] == 1", 9, "expected an array index"],
    ["[BODY]. == 1", 8, "expected a key"],
    ["foo([BODY]) == 1", 1, "unknown function foo()"],
    ["len(200) > 1", 5, "takes a placeholder"],
    ["len([STATUS]) > 1", 5, "applies to [BODY] only"],
    ["[STATUS] < any(200, 300)", 12, "works only with == and !="],
    ["[STATUS] == 200 == 300", 17, "a second operator"],
    ['[BODY].x == "abc', 13, "unterminated quoted string"],
    ["[STATUS == 200", 1, "unterminated placeholder"],
    ["[BODY].x == any()", 17, "needs at least one value"],
  ])("%s → column %i: %s", (cond, column, reason) => {
    const err = compileError(cond);
    expect(err.reason).toContain(reason);
    expect(err.column).toBe(column);
    expect(err.message).toContain(`column ${column}`);
  });
});

describe("glob", () => {
  it("matches * runs without backtracking blow-up", () => {
    expect(glob("a*b*c", "axxbyyc")).toBe(true);
    expect(glob("a*b*c", "axxbyy")).toBe(false);
    expect(glob("*", "")).toBe(true);
    expect(glob("*a*a*a*a*a*a*a*a*b", "a".repeat(20_000))).toBe(false);
  });
});

/** A small deterministic generator (mulberry32), so a failing input can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("condition compiler fuzz", () => {
  const seeds = [
    "[STATUS] == 200",
    "[STATUS] == any(200, 204)",
    "[RESPONSE_TIME] < 300",
    "[BODY].status == UP",
    "[BODY].a.b[0].c == x",
    "len([BODY].items) > 0",
    "has([BODY].version) == true",
    "[CERTIFICATE_EXPIRATION] > 72h",
    "[CONNECTED] == true",
    '[BODY].name == pat("jo*n")',
    '[BODY].msg != "a \\"quoted\\" value"',
  ];
  const alphabet = ' []().,"\\=!<>*0123456789abcxyzBODYSTATUSlenhasanypat-_:;\t\u00e9\u{1F600}';
  const bodies: Partial<ProbeObservation>[] = [
    {},
    { status: 200, body: '{"status":"UP","a":{"b":[{"c":"x"}]},"items":[1],"version":"1"}', json: { status: "UP", a: { b: [{ c: "x" }] }, items: [1], version: "1" } },
    { status: 503, body: "oops", jsonError: "bad" },
    { body: "[1,2,3]", json: [1, 2, 3], certificateExpirationMs: -5 },
  ];

  it("only ever throws ConditionError, and compiled conditions evaluate without throwing", () => {
    const random = rng(20261127);
    const pick = (s: string) => s[Math.floor(random() * s.length)] as string;
    let compiled = 0;
    let rejected = 0;
    for (let i = 0; i < 20_000; i++) {
      let text: string;
      if (i % 2 === 0) {
        // Mutate a valid condition: insert, delete, replace or duplicate characters.
        text = seeds[Math.floor(random() * seeds.length)] as string;
        const edits = 1 + Math.floor(random() * 4);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(random() * (text.length + 1));
          const kind = Math.floor(random() * 4);
          if (kind === 0) text = text.slice(0, at) + pick(alphabet) + text.slice(at);
          else if (kind === 1) text = text.slice(0, at) + text.slice(at + 1);
          else if (kind === 2) text = text.slice(0, at) + pick(alphabet) + text.slice(at + 1);
          else text = text.slice(0, at) + text.slice(at, at + 5).repeat(3) + text.slice(at + 5);
        }
      } else {
        const n = Math.floor(random() * 40);
        text = "";
        for (let k = 0; k < n; k++) text += pick(alphabet);
      }
      try {
        const c = compileCondition(text);
        compiled++;
        for (const b of bodies) {
          const out = c.evaluate(obs(b));
          if (typeof out.success !== "boolean" || typeof out.pretty !== "string") throw new Error(`evaluating ${JSON.stringify(text)} gave ${JSON.stringify(out)}`);
        }
      } catch (err) {
        if (!(err instanceof ConditionError)) throw new Error(`${JSON.stringify(text)} threw ${String(err)}`);
        if (!(err.column >= 1 && err.column <= Math.max(1, text.length + 1))) throw new Error(`${JSON.stringify(text)}: column ${err.column} out of range`);
        rejected++;
      }
    }
    // The mutations must exercise both paths, or the test protects nothing.
    expect(compiled).toBeGreaterThan(1000);
    expect(rejected).toBeGreaterThan(1000);
  });

  it("rejects very long input quickly instead of scanning it at length", () => {
    const err = compileError(`[BODY].${"a.".repeat(5000)}b == 1`);
    expect(err.reason).toContain("at most");
  });
});
