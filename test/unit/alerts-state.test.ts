import { describe, expect, it } from "vitest";
import { fingerprint } from "../../collector/alerts/matchers.js";
import type { Observation, RuleObservation } from "../../collector/alerts/observe.js";
import { aggregate } from "../../collector/alerts/observe.js";
import { parseRuleFile } from "../../collector/alerts/load.js";
import type { Rule } from "../../collector/alerts/rules.js";
import { step, type AlertInstance } from "../../collector/alerts/state.js";

function rule(extra: string): Rule {
  const r = parseRuleFile("t.yaml", `rules:\n  - { name: T, signal: node_cpu_utilization, condition: '> 80', severity: warning, annotations: { summary: '{{ $labels.node }} at {{ $value }}' }, ${extra} }`);
  if (r.problems.length) throw new Error(JSON.stringify(r.problems));
  return r.rules[0] as Rule;
}

const LABELS = { node: "n1", alertname: "T", severity: "warning" };
const FP = fingerprint(LABELS);
const M = 60_000;

/** `90` = data above the threshold, `50` = below, `-` = this series sent nothing, `x` = the source could not answer. */
function obs(r: Rule, v: number | "-" | "x"): RuleObservation {
  if (v === "x") return { kind: "missing", reason: "source down" };
  const series = new Map<string, Observation>();
  if (v !== "-") series.set(FP, { fingerprint: FP, labels: LABELS, value: v, active: r.condition ? v > r.condition.threshold : false });
  return { kind: "data", series };
}

interface Row {
  at: number;
  value: number | "-" | "x";
  state: "none" | "pending" | "firing" | "firing+missing";
  sent?: "firing" | "resolved" | "firing+missing" | "resolved+missing";
}

function run(r: Rule, rows: Row[]): void {
  let state: Map<string, AlertInstance> = new Map();
  for (const row of rows) {
    const res = step(r, state, obs(r, row.value), row.at * M);
    state = res.state;
    const inst = state.get(FP);
    const got = inst ? (inst.state === "firing" && inst.missingSince !== undefined ? "firing+missing" : inst.state) : "none";
    expect({ at: row.at, state: got }).toEqual({ at: row.at, state: row.state });
    const sent = res.notifications.map((n) => `${n.status}${n.missing ? "+missing" : ""}`);
    expect({ at: row.at, sent }).toEqual({ at: row.at, sent: row.sent ? [row.sent] : [] });
  }
}

describe("alert state machine", () => {
  it("goes pending, fires after `for`, resolves when the condition clears", () => {
    run(rule("for: 2m"), [
      { at: 0, value: 50, state: "none" },
      { at: 1, value: 90, state: "pending" },
      { at: 2, value: 90, state: "pending" },
      { at: 3, value: 90, state: "firing", sent: "firing" },
      { at: 4, value: 95, state: "firing" },
      { at: 5, value: 50, state: "none", sent: "resolved" },
    ]);
  });

  it("fires at once without `for`, and a pending alert that clears never notifies", () => {
    run(rule("for: 0s"), [{ at: 0, value: 90, state: "firing", sent: "firing" }]);
    run(rule("for: 5m"), [
      { at: 0, value: 90, state: "pending" },
      { at: 4, value: 50, state: "none" },
      { at: 5, value: 90, state: "pending" },
    ]);
  });

  it("keeps firing for keep_firing_for after the condition clears (hysteresis), counted from the first clear evaluation", () => {
    run(rule("keep_firing_for: 2m"), [
      { at: 0, value: 90, state: "firing", sent: "firing" },
      { at: 1, value: 50, state: "firing" },
      { at: 2, value: 90, state: "firing" },
      { at: 3, value: 50, state: "firing" },
      { at: 4, value: 50, state: "firing" },
      { at: 5, value: 50, state: "none", sent: "resolved" },
    ]);
  });

  it("never resolves silently when data stops: says it is missing, then resolves saying why", () => {
    const r = rule("resolve_missing_after: 3m");
    run(r, [
      { at: 0, value: 90, state: "firing", sent: "firing" },
      { at: 1, value: "-", state: "firing+missing", sent: "firing+missing" },
      { at: 2, value: "x", state: "firing+missing" },
      { at: 3, value: "-", state: "firing+missing" },
      { at: 4, value: "-", state: "none", sent: "resolved+missing" },
    ]);
  });

  it("tells when data comes back to a firing alert whose data was missing", () => {
    run(rule("resolve_missing_after: 10m"), [
      { at: 0, value: 90, state: "firing", sent: "firing" },
      { at: 1, value: "x", state: "firing+missing", sent: "firing+missing" },
      { at: 2, value: 95, state: "firing", sent: "firing" },
    ]);
  });

  it("drops a pending alert whose data stops (nothing to tell yet)", () => {
    run(rule("for: 5m"), [
      { at: 0, value: 90, state: "pending" },
      { at: 1, value: "-", state: "none" },
    ]);
  });

  it("renders annotations with the labels and the current value, and marks missing data in them", () => {
    const r = rule("resolve_missing_after: 10m");
    const a = step(r, new Map(), obs(r, 91), 0);
    expect(a.notifications[0]?.annotations).toEqual({ summary: "n1 at 91" });
    const b = step(r, a.state, obs(r, "-"), M);
    expect(b.notifications[0]?.annotations.data_missing).toMatch(/^no data since 1970-01-01T00:01:00.000Z/);
    const c = step(r, b.state, obs(r, "-"), 11 * M);
    expect(c.notifications[0]?.status).toBe("resolved");
    expect(c.notifications[0]?.annotations.resolved_reason).toMatch(/^data missing since 1970-01-01T00:01:00.000Z/);
    expect(c.transitions[0]).toMatchObject({ from: "firing", to: "resolved", reason: "data missing" });
  });
});

describe("window aggregations", () => {
  const pts = (vals: number[]): [number, number][] => vals.map((v, i) => [i * 10_000, v]);
  it("computes last, avg, min, max, delta", () => {
    const p = pts([3, 1, 2]);
    expect([aggregate(p, "last", 20_000, 0), aggregate(p, "avg", 20_000, 0), aggregate(p, "min", 20_000, 0), aggregate(p, "max", 20_000, 0), aggregate(p, "delta", 20_000, 0)]).toEqual([2, 2, 1, 3, -1]);
  });
  it("counts a counter reset from zero in increase and rate", () => {
    const p = pts([5, 8, 2, 4]);
    expect(aggregate(p, "increase", 30_000, 0)).toBe(3 + 2 + 2);
    expect(aggregate(p, "rate", 30_000, 0)).toBeCloseTo(7 / 30);
    expect(aggregate(pts([5]), "rate", 0, 0)).toBeUndefined();
  });
  it("predicts linearly from now", () => {
    expect(aggregate(pts([100, 90, 80]), "predict_linear", 20_000, 60_000)).toBeCloseTo(80 - 60);
  });
});
