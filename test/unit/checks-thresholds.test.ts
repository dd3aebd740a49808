import { describe, expect, it } from "vitest";
import { applyRun, initialThresholdState, type ThresholdState } from "../../agent/checks/thresholds.js";

const fold = (runs: boolean[], start: ThresholdState = initialThresholdState(0)) =>
  runs.reduce<ThresholdState[]>((acc, ok, i) => [...acc, applyRun(acc[acc.length - 1] ?? start, ok, (i + 1) * 1000)], []);

describe("thresholds", () => {
  it("is up on the first good run of a check never judged", () => {
    expect(fold([true]).at(-1)).toMatchObject({ state: "up", since: 1000 });
  });

  it("goes down only after three failures in a row", () => {
    const states = fold([true, false, false, false]).map((s) => s.state);
    expect(states).toEqual(["up", "up", "up", "down"]);
  });

  it("does not flap on one blip", () => {
    const states = fold([true, false, true, false, false, true, false]).map((s) => s.state);
    expect(states.every((s) => s === "up")).toBe(true);
  });

  it("resolves after two successes, keeping since at the change", () => {
    const s = fold([false, false, false, true, true, true]);
    expect(s.map((x) => x.state)).toEqual(["unknown", "unknown", "down", "down", "up", "up"]);
    expect(s[4]?.since).toBe(5000);
    expect(s[5]?.since).toBe(5000);
  });

  it("honours custom thresholds", () => {
    let s = initialThresholdState(0);
    s = applyRun(s, false, 1, { failureThreshold: 1, successThreshold: 3 });
    expect(s.state).toBe("down");
    s = applyRun(s, true, 2, { failureThreshold: 1, successThreshold: 3 });
    s = applyRun(s, true, 3, { failureThreshold: 1, successThreshold: 3 });
    expect(s.state).toBe("down");
    s = applyRun(s, true, 4, { failureThreshold: 1, successThreshold: 3 });
    expect(s).toMatchObject({ state: "up", since: 4 });
  });
});
