import { describe, expect, it } from "vitest";
import { SeriesColumns } from "../../collector/history/columns.js";
import { sweep } from "../../collector/history/eviction.js";
import { RollupQueue } from "../../collector/history/rollup.js";

const T0 = 1_700_000_040_000 - (1_700_000_040_000 % 60_000);
const WINDOW = 10 * 60_000;

function samples(c: SeriesColumns, s: number): [number, number][] {
  const out: [number, number][] = [];
  c.rings.forEach(s, -Infinity, Infinity, (t, v) => out.push([t - T0, v]));
  return out;
}

describe("SeriesColumns", () => {
  it("stores a counter's rate from its second reading, and ignores readings not newer than the last", () => {
    const c = new SeriesColumns(T0 - 86_400_000, 8);
    const q = new RollupQueue();
    const s = c.add("k", "m", { node: "a" }, true);
    expect(c.record(s, true, T0, 100, false, q)).toBe(false);
    expect(c.record(s, true, T0 + 10_000, 130, false, q)).toBe(true);
    expect(c.record(s, true, T0 + 10_000, 500, false, q)).toBe(false);
    expect(c.record(s, true, T0 + 5_000, 500, false, q)).toBe(false);
    expect(samples(c, s)).toEqual([[10_000, 3]]);
    expect(c.lastSeen(s)).toBe(T0 + 10_000);
  });

  it("only takes a counter's reading when priming, and stores nothing for a gauge", () => {
    const c = new SeriesColumns(T0 - 86_400_000, 8);
    const q = new RollupQueue();
    const counter = c.add("c", "m", {}, true);
    const gauge = c.add("g", "m", {}, false);
    expect(c.record(counter, true, T0, 100, true, q)).toBe(false);
    expect(c.record(gauge, false, T0, 5, true, q)).toBe(false);
    expect([c.rings.size(counter), c.rings.size(gauge), c.lastSeen(counter), c.lastSeen(gauge)]).toEqual([0, 0, T0, undefined]);
    expect(c.record(counter, true, T0 + 10_000, 110, false, q)).toBe(true);
    expect(samples(c, counter)).toEqual([[10_000, 1]]);
  });

  it("keeps an evicted series' number until the rollups queued before it left are written", () => {
    const c = new SeriesColumns(T0 - 86_400_000, 8);
    const a = c.add("a", "m", {}, false);
    const gen = c.gen[a];
    c.evict(a, 3);
    expect([c.size, c.index.has("a"), c.byMetric.get("m")?.has(a), c.gen[a] === gen]).toEqual([0, false, false, false]);
    c.release(2);
    const b = c.add("b", "m", {}, false);
    expect(b).not.toBe(a);
    c.release(3);
    expect(c.add("c", "m", {}, false)).toBe(a);
    expect([c.keys[a], c.size, c.end]).toEqual(["c", 2, 2]);
  });

  it("grows every column past its first allocation", () => {
    const c = new SeriesColumns(T0 - 86_400_000, 4);
    const q = new RollupQueue();
    for (let i = 0; i < 3000; i++) c.add(`k${i}`, "m", {}, i % 2 === 0);
    for (let i = 0; i < 3000; i++) c.record(i, false, T0, i, false, q);
    expect([c.size, c.end, c.counterOf[2998], c.counterOf[2999], c.ids[2999], c.minutes.running(2999)]).toEqual([3000, 3000, 1, 0, 0, true]);
    expect(samples(c, 2999)).toEqual([[0, 2999]]);
  });
});

describe("eviction sweep", () => {
  it("closes a quiet minute, and evicts a series seen last before the window once its minute is closed", () => {
    const c = new SeriesColumns(T0 - 86_400_000, 64);
    const q = new RollupQueue();
    const quiet = c.add("quiet", "m", {}, false);
    const busy = c.add("busy", "m", {}, false);
    c.record(quiet, false, T0, 1, false, q);
    for (let t = 0; t <= WINDOW + 60_000; t += 10_000) c.record(busy, false, T0 + t, 2, false, q);
    const written = q.length;
    // The quiet series' minute is closed on the first pass; it is evicted on the same pass since
    // its last sample is older than the window.
    const bytes = sweep(c, q, T0 + WINDOW + 60_000, WINDOW);
    expect(bytes).toBeGreaterThan(0);
    expect(q.length).toBe(written + 1);
    expect(q.slot[q.end - 1]).toBe(quiet);
    expect([c.index.has("quiet"), c.index.has("busy")]).toEqual([false, true]);
    expect(samples(c, busy)[0]?.[0]).toBe(60_000);
  });

  it("keeps a series whose minute is still running, and a counter with only a recent reading", () => {
    const c = new SeriesColumns(T0 - 86_400_000, 64);
    const q = new RollupQueue();
    const running = c.add("running", "m", {}, false);
    const counter = c.add("counter", "m", {}, true);
    c.record(running, false, T0 + WINDOW + 60_000, 1, false, q);
    c.record(counter, true, T0 + WINDOW + 60_000, 1, false, q);
    sweep(c, q, T0 + WINDOW + 90_000, WINDOW);
    expect([c.index.has("running"), c.index.has("counter"), q.length]).toEqual([true, true, 0]);
    sweep(c, q, T0 + 3 * WINDOW, WINDOW);
    expect([c.size, q.length]).toEqual([0, 1]);
  });
});
