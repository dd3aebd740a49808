import { describe, expect, it } from "vitest";
import { Periodic } from "../../lib/periodic.js";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("Periodic", () => {
  it("never overlaps itself: a tick during a run is counted and joins that run", async () => {
    const gate = deferred();
    let started = 0;
    const p = new Periodic({ name: "t", intervalMs: 60_000, runAtStart: false }, async () => {
      started++;
      await gate.promise;
    });
    const first = p.tick();
    const second = p.tick();
    expect(started).toBe(1);
    expect(p.stats.overlaps).toBe(1);
    gate.resolve();
    await Promise.all([first, second]);
    expect(p.stats.runs).toBe(1);
    await p.tick();
    expect(started).toBe(2);
    expect(p.stats.runs).toBe(2);
  });

  it("aborts a run past its timeout, counts it and reports it", async () => {
    const errors: string[] = [];
    let seen: AbortSignal | undefined;
    const p = new Periodic({ name: "slow", intervalMs: 60_000, timeoutMs: 20, runAtStart: false, onError: (err) => errors.push((err as Error).message) }, (signal) => {
      seen = signal;
      return new Promise<void>(() => undefined); // never ends on its own
    });
    await p.tick();
    expect(p.stats.timeouts).toBe(1);
    expect(seen?.aborted).toBe(true);
    expect(errors).toEqual(["slow run exceeded 20 ms"]);
  });

  it("counts a failing run and keeps running", async () => {
    let n = 0;
    const errors: unknown[] = [];
    const p = new Periodic({ name: "e", intervalMs: 60_000, runAtStart: false, onError: (err) => errors.push(err) }, async () => {
      n++;
      if (n === 1) throw new Error("boom");
    });
    await p.tick();
    await p.tick();
    expect(p.stats.errors).toBe(1);
    expect(p.stats.runs).toBe(2);
    expect(errors).toHaveLength(1);
  });

  it("gives each run its own signal by default", async () => {
    const signals: AbortSignal[] = [];
    const p = new Periodic({ name: "s", intervalMs: 60_000, runAtStart: false }, async (signal) => void signals.push(signal));
    await p.tick();
    await p.tick();
    expect(signals[0]).not.toBe(signals[1]);
  });

  it("with reuseSignal, shares one signal until a run times out, then hands out a fresh one", async () => {
    const signals: AbortSignal[] = [];
    let hang = false;
    const p = new Periodic({ name: "r", intervalMs: 60_000, timeoutMs: 20, runAtStart: false, reuseSignal: true }, (signal) => {
      signals.push(signal);
      // A hanging run that honours its signal: it ends when aborted.
      return hang ? new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true })) : Promise.resolve();
    });
    await p.tick();
    await p.tick();
    expect(signals[1]).toBe(signals[0]);
    hang = true;
    await p.tick(); // times out: the shared signal is aborted
    expect(p.stats.timeouts).toBe(1);
    expect(signals[2]).toBe(signals[0]);
    expect(signals[0]?.aborted).toBe(true);
    hang = false;
    await new Promise((r) => setTimeout(r, 0)); // the aborted run has ended
    await p.tick();
    expect(signals[3]).not.toBe(signals[0]);
    expect(signals[3]?.aborted).toBe(false);
  });

  it("stop() waits for the run in flight and no run starts after it", async () => {
    const gate = deferred();
    let ended = false;
    let runs = 0;
    const p = new Periodic({ name: "x", intervalMs: 60_000, runAtStart: false }, async () => {
      runs++;
      await gate.promise;
      ended = true;
    });
    void p.tick();
    const stopping = p.stop();
    setTimeout(gate.resolve, 10);
    await stopping;
    expect(ended).toBe(true);
    await p.tick();
    expect(runs).toBe(1);
  });

  it("starts no run while a timed-out run is still going: ticks meanwhile are overlaps", async () => {
    const gate = deferred();
    let running = 0;
    let most = 0;
    let started = 0;
    const p = new Periodic({ name: "deaf", intervalMs: 60_000, timeoutMs: 20, runAtStart: false }, async () => {
      started++;
      running++;
      most = Math.max(most, running);
      if (started === 1) await gate.promise; // the first run ignores its signal
      running--;
    });
    await p.tick(); // returns at the timeout, the run goes on
    expect(p.stats.timeouts).toBe(1);
    await p.tick();
    await p.tick();
    expect(started).toBe(1);
    expect(p.stats.overlaps).toBe(2);
    gate.resolve();
    await new Promise((r) => setTimeout(r, 0));
    await p.tick();
    expect(started).toBe(2);
    expect(most).toBe(1);
  });

  it("with its timer, never runs two at once across a timeout", async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const p = new Periodic({ name: "timer", intervalMs: 5, timeoutMs: 15, runAtStart: true }, async () => {
      runs++;
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 25)); // always past its timeout, deaf to the signal
      running--;
    });
    p.start();
    await new Promise((r) => setTimeout(r, 150));
    await p.stop();
    expect(p.stats.timeouts).toBeGreaterThan(1);
    expect(runs).toBeGreaterThan(1);
    expect(most).toBe(1);
    expect(running).toBe(0);
  });

  it("stop() waits for an abandoned run that ends soon after its timeout", async () => {
    let ended = false;
    const p = new Periodic({ name: "late", intervalMs: 60_000, timeoutMs: 20, runAtStart: false }, async () => {
      await new Promise((r) => setTimeout(r, 30));
      ended = true;
    });
    await p.tick();
    expect(ended).toBe(false);
    await p.stop();
    expect(ended).toBe(true);
  });

  it("stop() gives up on an abandoned run that never ends, after one more timeout, and says so", async () => {
    const errors: string[] = [];
    const p = new Periodic({ name: "stuck", intervalMs: 60_000, timeoutMs: 10, runAtStart: false, onError: (err) => errors.push((err as Error).message) }, () => new Promise<void>(() => undefined));
    await p.tick();
    await p.stop();
    expect(errors).toEqual(["stuck run exceeded 10 ms", "stuck run still going at stop, 10 ms after it was abandoned"]);
  });
});
