import { describe, expect, it } from "vitest";
import { FairShare } from "../../collector/ingest/fair-share.js";

describe("FairShare", () => {
  it("lets a node go while it is within its budget", () => {
    const f = new FairShare({ budgetMsPerSecond: 100, burstMs: 1000 });
    for (let i = 0; i < 9; i++) {
      expect(f.delay("a", 0)).toBe(0);
      f.charge("a", 100, 0);
    }
    expect(f.delay("a", 0)).toBe(0);
  });

  it("puts a heavy node back while others go on", () => {
    const f = new FairShare({ budgetMsPerSecond: 100, burstMs: 1000 });
    f.charge("heavy", 1500, 0);
    expect(f.delay("heavy", 0)).toBe(5000);
    expect(f.delay("light", 0)).toBe(0);
    f.charge("light", 10, 0);
    expect(f.delay("light", 0)).toBe(0);
    // Debt of 500 ms at 100 ms/s: 5 s to repay; after 5 s it goes again.
    expect(f.delay("heavy", 4000)).toBe(1000);
    expect(f.delay("heavy", 5000)).toBe(0);
  });

  it("caps the wait and the savings", () => {
    const f = new FairShare({ budgetMsPerSecond: 10, burstMs: 100, maxDelayMs: 2000 });
    f.charge("a", 10_000, 0);
    expect(f.delay("a", 0)).toBe(2000);
    f.charge("b", 0, 0);
    f.charge("b", 150, 3_600_000);
    expect(f.delay("b", 3_600_000)).toBeGreaterThan(0);
  });
});
