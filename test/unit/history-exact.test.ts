import { afterEach, describe, expect, it } from "vitest";
import { buildApi } from "../../collector/api/server.js";
import { queryRoutes } from "../../collector/api/routes/query.js";
import { needsFloat64, RingSlab, SampleRing } from "../../collector/history/ring.js";
import { MetricsHistory } from "../../collector/history/store.js";
import type { EnvelopeOf, Metric } from "../../protocol/index.js";

/** A minute boundary, so that a test's samples share a rollup minute. */
const T0 = 1_700_000_040_000;

/** Values float32 would change: past 2^24, a byte counter past 4 GiB, a start time in ms, one in seconds with its fraction. */
const LARGE = { limit: 2 ** 24 + 1, bytes: 5e9 + 123, startMs: 1.7e12 + 1, startSeconds: 1_700_000_000.123 } as const;
const METRIC = { limit: "vigie.container.memory.limit", bytes: "container.memory.usage", startMs: "test.start_time_ms", startSeconds: "vigie.container.start_time" } as const;
type Which = keyof typeof LARGE;

const gauge = (name: string, value: number): Metric => ({ name, type: "gauge", unit: "1", points: [{ value }] });

function env(seq: number, time: number, metrics: Metric[]): EnvelopeOf<"metrics"> {
  return {
    schema: "vigie.v1", kind: "metrics", node: { id: "n1", hostname: "web-1" }, agent: { version: "t", bootId: "b", seq }, time,
    payload: { resources: [{ resource: { "container.id": "c1", "container.name": "shop_web.1.x", "service.namespace": "shop" }, metrics }] },
  };
}

/** One message carrying every large value, each in its own series, plus `offset`. */
function large(seq: number, time: number, offset = 0): EnvelopeOf<"metrics"> {
  return env(seq, time, (Object.keys(LARGE) as Which[]).map((k) => gauge(METRIC[k], LARGE[k] + offset)));
}

function samples(h: MetricsHistory, metric: string): number[] {
  const out: number[] = [];
  for (const s of h.select(metric)) s.ring.forEach(-Infinity, Infinity, (_t, v) => out.push(v));
  return out;
}

describe("needsFloat64", () => {
  it.each([
    [2 ** 24 + 1, true],
    [5e9 + 123, true],
    [1.7e12 + 1, true],
    [1_700_000_000.123, true],
    [1e-40, true],
    [2 ** 24, false],
    [16e9, false], // a multiple of a large power of two: float32 holds it
    [0.25, false],
    [0.1, false], // a ratio: float32's seven digits are plenty
    [123_456.789, false],
    [0, false],
    [NaN, false],
    [Infinity, false],
  ])("%d → %s", (v, wide) => expect(needsFloat64(v)).toBe(wide));
});

describe("RingSlab keeps large values exact", () => {
  it("widens a ring in place the first time a value needs it, keeping its earlier samples", () => {
    const r = new SampleRing(T0, 10);
    r.push(T0, 0.1);
    r.push(T0 + 1000, 42);
    expect([r.wide, r.bytes]).toEqual([false, 32]);
    r.push(T0 + 2000, 5e9 + 123);
    expect([r.wide, r.bytes]).toEqual([true, 48]);
    const seen: [number, number][] = [];
    r.forEach(-Infinity, Infinity, (t, v) => seen.push([t - T0, v]));
    expect(seen).toEqual([[0, Math.fround(0.1)], [1000, 42], [2000, 5e9 + 123]]);
  });

  it("keeps order and exact values while a wide ring grows, wraps and is trimmed", () => {
    const r = new SampleRing(T0, 10);
    for (let i = 0; i < 25; i++) r.push(T0 + i * 100, 1.7e12 + i);
    const seen: [number, number][] = [];
    r.forEach(-Infinity, Infinity, (t, v) => seen.push([t - T0, v]));
    expect(seen).toEqual(Array.from({ length: 10 }, (_, k) => [(15 + k) * 100, 1.7e12 + 15 + k]));
    r.trim(T0 + 2000);
    expect([r.size, r.lastTime(), r.bytes]).toEqual([5, T0 + 2400, 120]);
  });

  it("leaves rings of small values at 8 bytes a sample, and gives a released wide ring's number a narrow ring", () => {
    const slab = new RingSlab(T0, 6);
    for (let i = 0; i < 100; i++) slab.create(i);
    for (let k = 0; k < 6; k++) for (let i = 0; i < 100; i++) slab.push(i, T0 + k * 1000, i === 7 ? 2 ** 40 + k : i + k / 10);
    const wide = Array.from({ length: 100 }, (_, i) => slab.wide(i));
    expect(wide.filter(Boolean)).toHaveLength(1);
    expect([slab.wide(7), slab.bytes(7), slab.bytes(8)]).toEqual([true, 6 * 12, 6 * 8]);
    const read = (i: number) => {
      const out: number[] = [];
      slab.forEach(i, -Infinity, Infinity, (_t, v) => out.push(v));
      return out;
    };
    expect(read(7)).toEqual([0, 1, 2, 3, 4, 5].map((k) => 2 ** 40 + k));
    expect(read(8)).toEqual([0, 1, 2, 3, 4, 5].map((k) => Math.fround(8 + k / 10)));
    slab.release(7);
    slab.create(7);
    slab.push(7, T0, 3);
    expect([slab.wide(7), read(7)]).toEqual([false, [3]]);
  });
});

describe("history answers large integers exactly", () => {
  let h: MetricsHistory | undefined;
  afterEach(() => h?.close());

  it("reads back 2^24+1, 5e9+123 and 1.7e12+1 from the store as they were sent", () => {
    h = new MetricsHistory(":memory:", { now: () => T0 });
    h.append(large(1, T0));
    h.append(large(2, T0 + 10_000, 2));
    for (const k of Object.keys(LARGE) as Which[]) expect(samples(h, METRIC[k])).toEqual([LARGE[k], LARGE[k] + 2]);
    expect(h.wideSeries()).toBe(4);
  });

  it("keeps series of small values, and of byte counts in whole pages, at float32", () => {
    h = new MetricsHistory(":memory:", { now: () => T0 });
    h.append(env(1, T0, [gauge("vigie.container.pids", 12), gauge("container.memory.working_set", 366_211 * 4096), gauge("container.cpu.utilization", 0.123)]));
    expect(samples(h, "container.memory.working_set")).toEqual([366_211 * 4096]);
    expect(h.wideSeries()).toBe(0);
  });

  it("answers them exactly through /api/v1/query and /api/v1/query_range", async () => {
    const now = T0 + 20_000;
    h = new MetricsHistory(":memory:", { now: () => now, windowMs: 600_000 });
    h.append(large(1, T0));
    h.append(large(2, T0 + 10_000, 2));
    const app = buildApi({ routes: [queryRoutes({ history: h, now: () => now })] });
    for (const k of Object.keys(LARGE) as Which[]) {
      const instant = await app.inject({ url: `/api/v1/query?metric=${METRIC[k]}` });
      expect(instant.statusCode).toBe(200);
      expect(instant.json<{ results: { value: number }[] }>().results.map((r) => r.value)).toEqual([LARGE[k] + 2]);
      const range = await app.inject({ url: `/api/v1/query_range?metric=${METRIC[k]}&from=${T0 / 1000}&to=${(T0 + 10_000) / 1000}&step=10s` });
      expect(range.statusCode).toBe(200);
      expect(range.json().series[0].points).toEqual([[T0 / 1000, LARGE[k]], [(T0 + 10_000) / 1000, LARGE[k] + 2]]);
    }
    await app.close();
  });
});

describe("rollups keep large integers exact", () => {
  let h: MetricsHistory | undefined;
  afterEach(() => h?.close());

  /** Three samples in minute T0 (offsets 2, 0, 1 over each large value), one in the next minute to close it. */
  function filled(now: () => number): MetricsHistory {
    const history = new MetricsHistory(":memory:", { now, windowMs: 600_000 });
    [2, 0, 1].forEach((offset, i) => history.append(large(i + 1, T0 + i * 10_000, offset)));
    history.append(large(4, T0 + 60_000, 9));
    history.maintain(T0 + 61_000);
    history.flush();
    return history;
  }

  it("writes min, max and last exactly (and avg where the mean is representable)", () => {
    h = filled(() => T0);
    for (const k of Object.keys(LARGE) as Which[]) {
      const [stored] = h.storedSeries(METRIC[k]);
      const [r] = h.rollups([stored!.id], T0, T0).get(stored!.id)!;
      expect(r).toMatchObject({ minute: T0, count: 3, min: LARGE[k], max: LARGE[k] + 2, last: LARGE[k] + 1 });
      // The mean of three may be fractional; for these integers it is the middle one exactly.
      if (Number.isInteger(LARGE[k])) expect(r!.avg).toBe(LARGE[k] + 1);
      else expect(r!.avg).toBeCloseTo(LARGE[k] + 1, 3);
    }
  });

  it("answers them exactly through /api/v1/query_range beyond the raw window", async () => {
    let now = T0;
    h = filled(() => now);
    now = T0 + 3_600_000;
    const app = buildApi({ routes: [queryRoutes({ history: h, now: () => now })] });
    for (const k of Object.keys(LARGE) as Which[]) {
      for (const [agg, offset] of [["min", 0], ["max", 2], ["last", 1]] as const) {
        const res = await app.inject({ url: `/api/v1/query_range?metric=${METRIC[k]}&from=${T0 / 1000}&to=${(T0 + 60_000) / 1000}&step=60s&agg=${agg}` });
        expect(res.statusCode).toBe(200);
        const body = res.json();
        expect(body.source).toBe("rollup");
        // Minute [T0, T0 + 60 s) is answered at its end.
        expect(body.series[0].points).toContainEqual([(T0 + 60_000) / 1000, LARGE[k] + offset]);
      }
    }
    await app.close();
  });
});
