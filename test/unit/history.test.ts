import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { counterRate } from "../../collector/history/rate.js";
import { MinuteSlab, RollupQueue } from "../../collector/history/rollup.js";
import { RingSlab, SampleRing } from "../../collector/history/ring.js";
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
    const minutes = new MinuteSlab();
    const done = new RollupQueue();
    minutes.ensure(3);
    const m0 = T0 - (T0 % 60_000);
    for (const [t, v] of [[0, 4], [20_000, 2], [40_000, 6]] as const) expect(minutes.accumulate(2, m0 + t, v, done)).toBe(false);
    expect(minutes.accumulate(2, m0 + 30_000, 100, done)).toBe(false); // out of order within the minute: counted
    expect(minutes.accumulate(2, m0 - 1, 100, done)).toBe(false); // an older minute: ignored
    expect(minutes.accumulate(2, m0 + 60_000, 1, done)).toBe(true);
    expect([minutes.minute[2], minutes.count[2], minutes.last[2]]).toEqual([m0 + 60_000, 1, 1]);
    expect(done.length).toBe(1);
    expect([done.slot[0], done.minute[0], done.min[0], done.max[0], done.avg[0], done.last[0], done.count[0]]).toEqual([2, m0, 2, 100, 28, 100, 4]);
    expect(minutes.running(0)).toBe(false);
    minutes.close(2, done);
    expect([done.length, minutes.running(2)]).toEqual([2, false]);
  });

  it("keeps queued rows in order while the queue grows and is drained", () => {
    const q = new RollupQueue();
    const seen: number[] = [];
    let pushed = 0;
    for (let round = 0; round < 5; round++) {
      for (let k = 0; k < 1500; k++) {
        q.push(pushed, pushed * 60_000, 0, 0, 0, 0, 1);
        pushed++;
      }
      const n = Math.min(q.length, 1100);
      for (let k = 0; k < n; k++) seen.push(q.slot[q.start + k] as number);
      q.shift(n);
    }
    while (q.length > 0) {
      seen.push(q.slot[q.start] as number);
      q.shift(1);
    }
    expect(seen).toEqual(Array.from({ length: pushed }, (_, k) => k));
    expect([q.queued, q.taken]).toEqual([pushed, pushed]);
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

  it("keeps many rings apart in one slab, and reuses a released ring's storage", () => {
    const slab = new RingSlab(T0, 6);
    for (let i = 0; i < 3000; i++) slab.create(i);
    for (let k = 0; k < 7; k++) for (let i = 0; i < 3000; i++) if (i % 3 !== 0 || k < 2) slab.push(i, T0 + k * 1000, i * 10 + k);
    const read = (i: number) => {
      const out: number[] = [];
      slab.forEach(i, -Infinity, Infinity, (_t, v) => out.push(v));
      return out;
    };
    expect(read(1)).toEqual([11, 12, 13, 14, 15, 16]);
    expect(read(2999)).toEqual([29_991, 29_992, 29_993, 29_994, 29_995, 29_996]);
    expect(read(3)).toEqual([30, 31]);
    expect([slab.bytes(3), slab.bytes(4), slab.lastTime(4)]).toEqual([32, 48, T0 + 6000]);
    slab.release(4);
    expect([slab.size(4), slab.bytes(4), slab.lastTime(4)]).toEqual([0, 0, undefined]);
    slab.create(4);
    slab.push(4, T0, 7);
    expect(read(4)).toEqual([7]);
    expect(read(5)).toEqual([51, 52, 53, 54, 55, 56]);
    slab.trim(5, T0 + 4000);
    expect(read(5)).toEqual([54, 55, 56]);
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

  it("writes rows in batches with every figure in its place", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0 });
    const start = T0 - (T0 % 60_000);
    const many = (v: number) => Array.from({ length: 70 }, (_, i) => ({ name: "m", type: "gauge" as const, unit: "1", points: [{ attributes: { i }, value: v * 1000 + i }] }));
    h.append(env(1, start, many(1)));
    h.append(env(2, start + 20_000, many(3)));
    h.append(env(3, start + 60_000, many(5)));
    expect(h.flush()).toBe(70);
    const stored = h.storedSeries("m");
    expect(stored).toHaveLength(70);
    const rows = h.rollups(stored.map((x) => x.id), start, start);
    for (const x of stored) {
      const i = Number(x.labels.i);
      expect(rows.get(x.id)).toEqual([{ minute: start, min: 1000 + i, max: 3000 + i, avg: 2000 + i, last: 3000 + i, count: 2 }]);
    }
    h.close();
  });

  it("writes the rollups of a series that left memory under its own key, then gives its number to a new series", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0, windowMs: 60_000 });
    const start = T0 - (T0 % 60_000);
    const g = (name: string, v: number) => [{ name, type: "gauge" as const, unit: "1", points: [{ value: v }] }];
    h.append(env(1, start, g("a", 1)));
    h.append(env(2, start + 60_000, g("a", 2)));
    const [view] = [...h.select("a")];
    h.maintain(start + 10 * 60_000); // closes a's second minute, and a leaves memory
    expect([...h.select("a")]).toHaveLength(0);
    expect(view?.ring.size).toBe(0);
    expect(h.pendingRollups).toBe(2);
    expect(h.flush()).toBe(2);
    h.maintain(start + 10 * 60_000);
    h.append(env(3, start + 10 * 60_000, g("c", 7)));
    h.append(env(4, start + 11 * 60_000, g("c", 8)));
    expect(h.flush()).toBe(1);
    const [a] = h.storedSeries("a");
    const [c] = h.storedSeries("c");
    expect(h.rollups([a!.id], start, start + 20 * 60_000).get(a!.id)?.map((r) => [r.minute, r.last])).toEqual([[start, 1], [start + 60_000, 2]]);
    expect(h.rollups([c!.id], start, start + 20 * 60_000).get(c!.id)?.map((r) => [r.minute, r.last])).toEqual([[start + 10 * 60_000, 7]]);
    const samples: number[] = [];
    [...h.select("c")][0]?.ring.forEach(-Infinity, Infinity, (_t, v) => samples.push(v));
    expect(samples).toEqual([7, 8]);
    expect(h.stats.series).toBe(1);
    h.close();
  });

  it("reads back every series' minutes when a chunk's minute is written over several flushes, and deletes them past the retention", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0, retentionMs: 10 * 60_000 });
    const start = T0 - (T0 % 60_000);
    const many = (v: number) => Array.from({ length: 150 }, (_, i) => ({ name: "m", type: "gauge" as const, unit: "1", points: [{ attributes: { i }, value: v + i }] }));
    for (let k = 0; k <= 3; k++) h.append(env(k + 1, start + k * 60_000, many(k * 1000)));
    // Flushes of 7 rows: most chunk minutes are written in pieces, merged on disk.
    let written = 0;
    for (let n; (n = h.flush(7)) > 0; ) written += n;
    expect(written).toBe(450);
    const stored = h.storedSeries("m");
    const rows = h.rollups(stored.map((x) => x.id), start, start + 10 * 60_000);
    for (const x of stored) {
      const i = Number(x.labels.i);
      expect(rows.get(x.id)?.map((r) => [r.minute, r.last, r.count])).toEqual([0, 1, 2].map((k) => [start + k * 60_000, k * 1000 + i, 1]));
    }
    expect(h.rollups([stored[0]!.id], start + 60_000, start + 60_000).get(stored[0]!.id)).toHaveLength(1);
    h.maintain(start + 12 * 60_000); // closes the last minutes (quiet), deletes those before start + 2 min
    h.flush();
    const left = h.rollups(stored.map((x) => x.id), 0, Infinity);
    expect(left.size).toBe(150);
    for (const r of left.values()) expect(r.map((x) => x.minute)).toEqual([start + 2 * 60_000, start + 3 * 60_000]);
    h.close();
  });

  it.each([false, true])("keeps the first of a minute stored twice (a late sample reopened it; flushed in between: %s)", (flushBetween) => {
    const h = new MetricsHistory(":memory:", { now: () => T0 });
    const start = T0 - (T0 % 60_000);
    const mem = (v: number) => [{ name: "system.memory.limit", type: "updowncounter" as const, unit: "By", points: [{ value: v }] }];
    h.append(env(1, start, mem(1)));
    h.append(env(2, start + 10_000, mem(3)));
    h.maintain(start + 3 * 60_000); // quiet: the minute is closed
    if (flushBetween) expect(h.flush()).toBe(1);
    h.append(env(3, start + 20_000, mem(9)));
    h.maintain(start + 3 * 60_000);
    h.flush();
    const [stored] = h.storedSeries("system.memory.limit");
    expect(h.rollups([stored!.id], start, start).get(stored!.id)).toEqual([{ minute: start, min: 1, max: 3, avg: 2, last: 3, count: 2 }]);
    h.close();
  });

  it("drops and counts series past its bound", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0, maxSeries: 1 });
    h.append(env(1, T0, [{ name: "a", type: "gauge", unit: "1", points: [{ value: 1 }] }, { name: "b", type: "gauge", unit: "1", points: [{ value: 1 }] }]));
    expect(h.stats).toMatchObject({ series: 1, droppedSeries: 1 });
    h.close();
  });

  it("bounds the series of one node, so that one agent inventing attribute values leaves room for the others", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0, maxSeries: 100, maxSeriesPerNode: 10, windowMs: 60_000 });
    const invented = (seq: number) => [{ name: "a", type: "gauge" as const, unit: "1", points: Array.from({ length: 20 }, (_, i) => ({ attributes: { id: `${seq}-${i}` }, value: i })) }];
    h.append(env(1, T0, invented(1)));
    h.append(env(2, T0 + 10_000, invented(2)));
    expect(h.stats).toMatchObject({ series: 10, droppedSeries: 30 });
    const other = { ...env(1, T0 + 10_000, [{ name: "a", type: "gauge", unit: "1", points: [{ value: 1 }] }]), node: { id: "n2", hostname: "web-2" } };
    h.append(other);
    expect([...h.select("a")].filter((s) => s.labels.node === "web-2")).toHaveLength(1);
    // Once its series age out, the node has its room again.
    h.maintain(T0 + 10 * 60_000);
    h.append(env(3, T0 + 10 * 60_000, invented(3)));
    expect([...h.select("a")].filter((s) => s.labels.node === "web-1")).toHaveLength(10);
    h.close();
  });

  it("refuses a message whose sample time its rings cannot hold, instead of storing it wrapped round and freezing the series", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0 });
    const mem = (v: number) => [{ name: "system.memory.limit", type: "updowncounter" as const, unit: "By", points: [{ value: v }] }];
    h.append(env(1, T0, mem(1)));
    for (const far of [9e15, T0 + 10 * 365 * 86_400_000, -1]) h.append(env(2, far, mem(2)));
    h.append(env(3, T0 + 10_000, mem(3)));
    const points: [number, number][] = [];
    [...h.select("system.memory.limit")][0]?.ring.forEach(-Infinity, Infinity, (t, v) => points.push([t, v]));
    expect(points).toEqual([[T0, 1], [T0 + 10_000, 3]]);
    expect(h.stats.refusedTimes).toBe(3);
    h.close();
  });

  it("takes node and stack labels from the message and its resource, never from a point's attributes", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0 });
    const resource = { "container.id": "c1", "container.name": "secret_db.1.x", "service.namespace": "secret" };
    h.append(env(1, T0, [{ name: "container.memory.usage", type: "updowncounter", unit: "By", points: [{ attributes: { "service.namespace": "shop", node: "web-9", state: "a" }, value: 1 }, { attributes: { "service.namespace": "blog", state: "a" }, value: 2 }] }], resource));
    h.append(env(2, T0, [{ name: "system.memory.usage", type: "updowncounter", unit: "By", points: [{ attributes: { "service.namespace": "shop" }, value: 5 }] }]));
    expect([...h.select("container.memory.usage")].map((s) => s.labels)).toEqual([{ node: "web-1", "container.name": "secret_db.1.x", "service.namespace": "secret", state: "a" }]);
    expect([...h.select("system.memory.usage")].map((s) => s.labels)).toEqual([{ node: "web-1" }]);
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
