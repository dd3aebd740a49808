import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { counterRate } from "../../collector/history/rate.js";
import { accumulate, type MinuteAccumulator } from "../../collector/history/rollup.js";
import { SampleRing } from "../../collector/history/ring.js";
import { MetricsHistory } from "../../collector/history/store.js";
import { nodeStatus } from "../../collector/history/absence.js";
import type { EnvelopeOf } from "../../protocol/index.js";

const T0 = 1_700_000_000_000;

function env(seq: number, time: number, metrics: EnvelopeOf<"metrics">["payload"]["resources"][number]["metrics"], resource: Record<string, string> = {}): EnvelopeOf<"metrics"> {
  return { schema: "vigie.v1", kind: "metrics", node: { id: "n1", hostname: "web-1" }, agent: { version: "t", bootId: "b", seq }, time, payload: { resources: [{ resource, metrics }] } };
}
const cpu = (v: number) => [{ name: "system.cpu.time", type: "counter" as const, unit: "s", points: [{ attributes: { "cpu.mode": "user", "cpu.logical_number": 0 }, value: v }, { attributes: { "cpu.mode": "user", "cpu.logical_number": 1 }, value: v }] }];

describe("counterRate", () => {
  it("is the increase per second", () => expect(counterRate(100, T0, 130, T0 + 10_000)).toBe(3));
  it("treats a lower value as a restart from zero", () => expect(counterRate(100, T0, 20, T0 + 10_000)).toBe(2));
  it("is undefined when time does not move forward", () => expect(counterRate(1, T0, 2, T0)).toBeUndefined());
});

describe("minute rollups", () => {
  it("closes a minute with min, max, avg and last when the next minute starts", () => {
    const series: { acc?: MinuteAccumulator } = {};
    for (const [t, v] of [[0, 4], [20_000, 2], [40_000, 6]] as const) expect(accumulate(series, T0 - (T0 % 60_000) + t, v)).toBeUndefined();
    const closed = accumulate(series, T0 - (T0 % 60_000) + 60_000, 1);
    expect(series.acc).toMatchObject({ minute: T0 - (T0 % 60_000) + 60_000, count: 1, last: 1 });
    expect(closed).toEqual({ minute: T0 - (T0 % 60_000), min: 2, max: 6, avg: 4, last: 6, count: 3 });
  });
});

describe("SampleRing", () => {
  it("keeps the newest `capacity` samples, oldest first", () => {
    const r = new SampleRing(T0, 3);
    for (let i = 0; i < 5; i++) r.push(T0 + i * 1000, i);
    const seen: number[] = [];
    r.forEach(0, Infinity, (_t, v) => seen.push(v));
    expect(seen).toEqual([2, 3, 4]);
    expect(r.lastTime()).toBe(T0 + 4000);
  });

  it("keeps order and values while growing past its first allocation and wrapping", () => {
    const r = new SampleRing(T0, 10);
    for (let i = 0; i < 25; i++) r.push(T0 + i * 100, i + 0.5);
    const seen: [number, number][] = [];
    r.forEach(0, Infinity, (t, v) => seen.push([t - T0, v]));
    expect(seen).toEqual(Array.from({ length: 10 }, (_, k) => [(15 + k) * 100, 15 + k + 0.5]));
    r.trim(T0 + 2000);
    expect(r.size).toBe(5);
    expect(r.bytes).toBe(80);
  });
});

describe("MetricsHistory", () => {
  it("stores counters as per-second rates, summing the per-core series, across a reset", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0 });
    h.append(env(1, T0, cpu(100)));
    h.append(env(2, T0 + 10_000, cpu(110))); // two cores +10 s each over 10 s → 2 cores busy
    h.append(env(3, T0 + 20_000, cpu(5))); // reboot: counters restart
    const [s] = [...h.select("system.cpu.time")];
    expect(s?.labels).toEqual({ node: "web-1", "cpu.mode": "user" });
    const points: [number, number][] = [];
    s?.ring.forEach(0, Infinity, (t, v) => points.push([t, v]));
    expect(points).toEqual([[T0 + 10_000, 2], [T0 + 20_000, 1]]);
    h.close();
  });

  it("ignores a message older than what the series holds (redelivery)", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0 });
    const mem = (v: number) => [{ name: "system.memory.limit", type: "updowncounter" as const, unit: "By", points: [{ value: v }] }];
    h.append(env(2, T0 + 10_000, mem(2)));
    h.append(env(1, T0, mem(1)));
    expect([...h.select("system.memory.limit")][0]?.ring.size).toBe(1);
    h.close();
  });

  it("writes finished minutes to disk on flush and reads them back as rollups", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0 });
    const start = T0 - (T0 % 60_000);
    const mem = (v: number) => [{ name: "system.memory.limit", type: "updowncounter" as const, unit: "By", points: [{ value: v }] }];
    [1, 3, 5].forEach((v, i) => h.append(env(i + 1, start + i * 10_000, mem(v))));
    h.append(env(9, start + 60_000, mem(7)));
    h.maintain(start + 61_000);
    expect(h.flush()).toBe(1);
    const [stored] = h.storedSeries("system.memory.limit");
    expect(stored?.labels).toEqual({ node: "web-1" });
    expect(h.rollups([stored!.id], start, start)).toEqual(new Map([[stored!.id, [{ minute: start, min: 1, max: 5, avg: 3, last: 5, count: 3 }]]]));
    h.close();
  });

  it("forgets a series idle for a whole window, keeping its rollups", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0, windowMs: 60_000 });
    h.append(env(1, T0, [{ name: "container.memory.usage", type: "updowncounter", unit: "By", points: [{ value: 1 }] }], { "container.id": "x", "container.name": "shop_web.1.x" }));
    h.maintain(T0 + 10 * 60_000);
    h.flush();
    expect([...h.select("container.memory.usage")]).toHaveLength(0);
    expect(h.storedSeries("container.memory.usage")[0]?.labels["container.name"]).toBe("shop_web.1.x");
    h.close();
  });

  it("writes at most maxRows rollups per flush, keeping the rest for the next", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0 });
    const start = T0 - (T0 % 60_000);
    const three = (v: number) => ["a", "b", "c"].map((n) => ({ name: n, type: "gauge" as const, unit: "1", points: [{ value: v }] }));
    h.append(env(1, start, three(1)));
    h.append(env(2, start + 60_000, three(2)));
    expect([h.flush(2), h.pendingRollups, h.flush(2), h.flush(2)]).toEqual([2, 1, 1, 0]);
    h.close();
  });

  it("stops a flush when its time budget is spent, keeping the rest for the next", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0 });
    const start = T0 - (T0 % 60_000);
    const many = (v: number) => Array.from({ length: 300 }, (_, i) => ({ name: `m${i}`, type: "gauge" as const, unit: "1", points: [{ value: v }] }));
    h.append(env(1, start, many(1)));
    h.append(env(2, start + 60_000, many(2)));
    let ticks = 0;
    const clock = () => ticks++; // one "ms" per look at the clock: checked every 128 rows
    expect(h.flush(Infinity, 1, clock)).toBe(128);
    expect(h.pendingRollups).toBe(172);
    expect(h.flush()).toBe(172);
    h.close();
  });

  it("finds a series already on disk after a restart instead of storing it twice", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "vigie-history-unit-"));
    const file = path.join(dir, "history.db");
    const start = T0 - (T0 % 60_000);
    const mem = (v: number) => [{ name: "system.memory.limit", type: "updowncounter" as const, unit: "By", points: [{ value: v }] }];
    try {
      for (let run = 0; run < 2; run++) {
        const h = new MetricsHistory(file, { now: () => T0 });
        const at = start + run * 120_000;
        h.append(env(1, at, mem(1)));
        h.append(env(2, at + 60_000, mem(2)));
        expect(h.flush()).toBe(1);
        h.close();
      }
      const h = new MetricsHistory(file, { now: () => T0 });
      const stored = h.storedSeries("system.memory.limit");
      expect(stored).toHaveLength(1);
      expect(h.rollups([stored[0]!.id], start, start + 240_000).get(stored[0]!.id)?.map((r) => r.minute)).toEqual([start, start + 120_000]);
      h.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("drops and counts series past its bound", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0, maxSeries: 1 });
    h.append(env(1, T0, [{ name: "a", type: "gauge", unit: "1", points: [{ value: 1 }] }, { name: "b", type: "gauge", unit: "1", points: [{ value: 1 }] }]));
    expect(h.stats).toMatchObject({ series: 1, droppedSeries: 1 });
    h.close();
  });
});

describe("nodeStatus (absence)", () => {
  it("is up within three intervals, stale after, down after the configured silence", () => {
    expect(nodeStatus(T0, T0 + 29_000, 10_000)).toBe("up");
    expect(nodeStatus(T0, T0 + 30_000, 10_000)).toBe("stale");
    expect(nodeStatus(T0, T0 + 119_000, 10_000)).toBe("stale");
    expect(nodeStatus(T0, T0 + 120_000, 10_000)).toBe("down");
    expect(nodeStatus(T0, T0 + 5_000, 1_000, { downAfterMs: 4_000 })).toBe("down");
  });
  it("uses the default interval while the node's own is unknown", () => {
    expect(nodeStatus(T0, T0 + 2_999, undefined, { defaultIntervalMs: 1000 })).toBe("up");
    expect(nodeStatus(T0, T0 + 3_000, undefined, { defaultIntervalMs: 1000 })).toBe("stale");
  });
});
