import path from "node:path";
import { describe, expect, it } from "vitest";
import { evaluateRules, type AlertsState } from "../../collector/alerts/evaluate.js";
import { formatProblem, loadRules } from "../../collector/alerts/load.js";
import { StaticSource } from "../../collector/alerts/source.js";
import { loadCases } from "../fixtures/alerts/cases.js";

// The same cases run through `promtool test rules` on the exported rules (alerts-promtool.test.ts).
const loaded = loadRules([path.resolve(import.meta.dirname, "../../alerts")]);
if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join("\n"));
const rules = loaded.rules;

describe("shipped rules on the shared cases (fake clock)", () => {
  for (const c of loadCases()) {
    it(c.name, () => {
      const rule = rules.find((r) => r.name === c.rule);
      if (!rule) throw new Error(`no shipped rule ${c.rule}`);
      const source = new StaticSource({
        [rule.signal]: c.series.map((s) => ({ labels: s.labels, points: s.values.flatMap((v, i) => (v === null ? [] : [[i * c.intervalMs, v] as const])) })),
      });
      let state: AlertsState = new Map();
      const last = Math.max(...c.expect.map((e) => e.atMs));
      for (let t = 0; t <= last; t += c.intervalMs) {
        state = evaluateRules([rule], state, source, t).state;
        const expected = c.expect.find((e) => e.atMs === t);
        if (!expected) continue;
        const firing = [...(state.get(rule.name)?.values() ?? [])].filter((i) => i.state === "firing").map((i) => i.labels);
        const want = expected.firing.map((l) => ({ ...l, alertname: rule.name, severity: rule.severity }));
        expect({ at: t / 60_000, firing: sortByKey(firing) }).toEqual({ at: t / 60_000, firing: sortByKey(want) });
      }
    });
  }
});

function sortByKey<T>(list: T[]): T[] {
  return [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}
