import { describe, expect, it } from "vitest";
import { Backoff } from "../../lib/backoff.js";

describe("Backoff", () => {
  it("doubles from the first wait up to the ceiling, exactly without jitter", () => {
    const b = new Backoff({ initialMs: 100, maxMs: 350, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 350, 350]);
    expect(b.attempts).toBe(4);
  });

  it("starts over after a reset", () => {
    const b = new Backoff({ initialMs: 10, maxMs: 1000, jitter: 0 });
    b.next();
    b.next();
    b.reset();
    expect(b.attempts).toBe(0);
    expect(b.next()).toBe(10);
  });

  it("with equal jitter (the default), waits between half the ceiling and the ceiling", () => {
    const low = new Backoff({ initialMs: 100, maxMs: 10_000, random: () => 0 });
    const high = new Backoff({ initialMs: 100, maxMs: 10_000, random: () => 0.999999 });
    expect([low.next(), low.next(), low.next()]).toEqual([50, 100, 200]);
    const h = [high.next(), high.next(), high.next()];
    h.forEach((ms, i) => expect(ms).toBeCloseTo(100 * 2 ** i, 2));
  });

  it("stays finite and at the ceiling after very many failures", () => {
    const b = new Backoff({ initialMs: 1, maxMs: 30_000, jitter: 0 });
    let last = 0;
    for (let i = 0; i < 5000; i++) last = b.next();
    expect(last).toBe(30_000);
  });

  it("refuses a ceiling below the first wait", () => {
    expect(() => new Backoff({ initialMs: 100, maxMs: 10 })).toThrow(/0 < initialMs ≤ maxMs/);
    expect(() => new Backoff({ initialMs: 0, maxMs: 10 })).toThrow();
  });
});
