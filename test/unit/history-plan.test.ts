import { describe, expect, it } from "vitest";
import { MetricsHistory } from "../../collector/history/store.js";
import type { Attributes, EnvelopeOf, Metric } from "../../protocol/index.js";
import { seededRandom } from "../support/random.js";

/**
 * The history keeps what each point of a node's message resolved to and reuses it while the next
 * message has the same shape. These tests change the shape in every way an agent can, and check
 * the samples land in the series a fresh resolution would pick.
 */
const T0 = 1_700_000_000_000;
type Resource = EnvelopeOf<"metrics">["payload"]["resources"][number];

function msg(seq: number, time: number, resources: Resource[], bootId = "boot-1", nodeId = "n1"): EnvelopeOf<"metrics"> {
  return { schema: "vigie.v1", kind: "metrics", node: { id: nodeId, hostname: "web-1" }, agent: { version: "t", bootId, seq }, time, payload: { resources } };
}
const container = (name: string, service: string, metrics: Metric[]): Resource => ({
  resource: { "container.id": `id-${name}`, "container.name": name, "service.name": service, "service.namespace": "shop" },
  metrics,
});
const gauge = (name: string, value: number, attributes?: Attributes): Metric => ({ name, type: "gauge", unit: "1", points: [{ value, attributes }] });
const cpuTime = (v: number): Metric => ({
  name: "container.cpu.time", type: "counter", unit: "s",
  points: [{ attributes: { "cpu.mode": "user" }, value: v }, { attributes: { "cpu.mode": "system" }, value: v / 2 }],
});

/** Every series in memory: labels and samples, in a stable order. */
function dump(h: MetricsHistory): { metric: string; labels: Record<string, string>; samples: [number, number][] }[] {
  const out = [];
  for (const metric of h.metrics()) {
    for (const s of h.select(metric)) {
      const samples: [number, number][] = [];
      s.ring.forEach(-Infinity, Infinity, (t, v) => samples.push([t, v]));
      out.push({ metric, labels: s.labels, samples });
    }
  }
  return out.sort((a, b) => JSON.stringify([a.metric, a.labels]).localeCompare(JSON.stringify([b.metric, b.labels])));
}

function samplesOf(h: MetricsHistory, metric: string, labels: Record<string, string>): [number, number][] {
  const s = [...h.select(metric)].find((x) => JSON.stringify(x.labels) === JSON.stringify(labels));
  const out: [number, number][] = [];
  s?.ring.forEach(-Infinity, Infinity, (t, v) => out.push([t, v]));
  return out;
}

describe("MetricsHistory series plans", () => {
  it("sends a changed point attribute (container state) to its own series", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0 });
    const state = (s: string) => [container("shop_web.1.a", "web", [gauge("vigie.container.state", 1, { "container.state": s })])];
    h.append(msg(1, T0, state("running")));
    h.append(msg(2, T0 + 10_000, state("running")));
    h.append(msg(3, T0 + 20_000, state("exited")));
    const base = { node: "web-1", "container.name": "shop_web.1.a", "service.name": "web", "service.namespace": "shop" };
    expect(samplesOf(h, "vigie.container.state", { ...base, "container.state": "running" })).toEqual([[T0, 1], [T0 + 10_000, 1]]);
    expect(samplesOf(h, "vigie.container.state", { ...base, "container.state": "exited" })).toEqual([[T0 + 20_000, 1]]);
    h.close();
  });

  it("notices a changed resource label set (a service renamed) and keeps the old series apart", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0 });
    h.append(msg(1, T0, [container("c1", "web", [gauge("container.memory.usage", 1)])]));
    h.append(msg(2, T0 + 10_000, [container("c1", "api", [gauge("container.memory.usage", 2)])]));
    const series = [...h.select("container.memory.usage")].map((s) => s.labels["service.name"]);
    expect(series.sort()).toEqual(["api", "web"]);
    expect(samplesOf(h, "container.memory.usage", { node: "web-1", "container.name": "c1", "service.name": "api", "service.namespace": "shop" })).toEqual([[T0 + 10_000, 2]]);
    expect(h.plannedResources("n1")).toBe(1);
    h.close();
  });

  it("drops the plan of a vanished container, and plans it again when it comes back", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0 });
    const a = (v: number) => container("a", "web", [gauge("container.memory.usage", v)]);
    const b = (v: number) => container("b", "web", [gauge("container.memory.usage", v)]);
    h.append(msg(1, T0, [a(1), b(1)]));
    expect(h.plannedResources("n1")).toBe(2);
    h.append(msg(2, T0 + 10_000, [a(2)]));
    expect(h.plannedResources("n1")).toBe(1);
    h.append(msg(3, T0 + 20_000, [b(3), a(3)]));
    expect(h.plannedResources("n1")).toBe(2);
    expect(samplesOf(h, "container.memory.usage", { node: "web-1", "container.name": "b", "service.name": "web", "service.namespace": "shop" })).toEqual([[T0, 1], [T0 + 20_000, 3]]);
    h.close();
  });

  it("starts over on a new agent boot, pairing counters across it as a reset", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0 });
    h.append(msg(1, T0, [container("a", "web", [cpuTime(100)])]));
    h.append(msg(2, T0 + 10_000, [container("a", "web", [cpuTime(110)])]));
    h.append(msg(1, T0 + 20_000, [container("a", "web", [cpuTime(5)])], "boot-2"));
    expect(h.plannedResources("n1")).toBe(1);
    const labels = { node: "web-1", "container.name": "a", "service.name": "web", "service.namespace": "shop", "cpu.mode": "user" };
    expect(samplesOf(h, "container.cpu.time", labels)).toEqual([[T0 + 10_000, 1], [T0 + 20_000, 0.5]]);
    h.close();
  });

  it("resolves again a series that left memory while its node was silent", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0, windowMs: 60_000 });
    const one = (v: number) => [container("a", "web", [gauge("container.memory.usage", v)])];
    h.append(msg(1, T0, one(1)));
    h.maintain(T0 + 10 * 60_000);
    expect([...h.select("container.memory.usage")]).toHaveLength(0);
    h.append(msg(2, T0 + 11 * 60_000, one(2)));
    const [s] = [...h.select("container.memory.usage")];
    expect(s?.ring.size).toBe(1);
    expect(h.stats.series).toBe(1);
    h.close();
  });

  it("sums points that differ only by a dropped attribute, and re-plans when a core appears", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0 });
    const cpu = (cores: number, v: number): Metric => ({
      name: "system.cpu.time", type: "counter", unit: "s",
      points: Array.from({ length: cores }, (_, c) => ({ attributes: { "cpu.mode": "idle", "cpu.logical_number": c }, value: v })),
    });
    h.append(msg(1, T0, [{ resource: {}, metrics: [cpu(2, 10)] }]));
    h.append(msg(2, T0 + 10_000, [{ resource: {}, metrics: [cpu(2, 20)] }]));
    h.append(msg(3, T0 + 20_000, [{ resource: {}, metrics: [cpu(3, 30)] }]));
    // 2 cores: +10 s each over 10 s = 2; then 3 cores at 30 (90) against 40 = 5.
    expect(samplesOf(h, "system.cpu.time", { node: "web-1", "cpu.mode": "idle" })).toEqual([[T0 + 10_000, 2], [T0 + 20_000, 5]]);
    h.close();
  });

  it("tells a point that lost an attribute from the planned one", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0 });
    h.append(msg(1, T0, [{ resource: {}, metrics: [gauge("g", 1, { k: "x", j: "y" })] }]));
    h.append(msg(2, T0 + 10_000, [{ resource: {}, metrics: [gauge("g", 2, { k: "x" })] }]));
    expect(samplesOf(h, "g", { node: "web-1", k: "x" })).toEqual([[T0 + 10_000, 2]]);
    expect(samplesOf(h, "g", { node: "web-1", k: "x", j: "y" })).toEqual([[T0, 1]]);
    h.close();
  });

  it("keeps apart two resources that lack different labels but share a value", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0 });
    h.append(msg(1, T0, [{ resource: { "container.id": "1", "container.name": "x" }, metrics: [gauge("g", 1)] }]));
    h.append(msg(2, T0 + 10_000, [{ resource: { "container.id": "1", "container.image.name": "x" }, metrics: [gauge("g", 2)] }]));
    expect(samplesOf(h, "g", { node: "web-1", "container.name": "x" })).toEqual([[T0, 1]]);
    expect(samplesOf(h, "g", { node: "web-1", "container.image.name": "x" })).toEqual([[T0 + 10_000, 2]]);
    h.close();
  });

  it("treats a number attribute and its string alike, as a fresh resolution does", () => {
    const h = new MetricsHistory(":memory:", { now: () => T0 });
    h.append(msg(1, T0, [{ resource: {}, metrics: [gauge("g", 1, { slot: 1 })] }]));
    h.append(msg(2, T0 + 10_000, [{ resource: {}, metrics: [gauge("g", 2, { slot: "1" })] }]));
    expect([...h.select("g")]).toHaveLength(1);
    expect(samplesOf(h, "g", { node: "web-1", slot: "1" })).toEqual([[T0, 1], [T0 + 10_000, 2]]);
    h.close();
  });

  it.each([
    { label: "", windowMs: undefined, maintainEvery: 50 },
    { label: ", with series leaving memory and their numbers reused", windowMs: 60_000, maintainEvery: 3 },
  ])("stores the same series and samples as resolving every point afresh, over 300 randomly changing messages$label", ({ windowMs, maintainEvery }) => {
    const random = seededRandom(20261127);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    const planned = new MetricsHistory(":memory:", { now: () => T0, maxSeries: 400, windowMs });
    const fresh = new MetricsHistory(":memory:", { now: () => T0, maxSeries: 400, windowMs });
    const names = ["a", "b", "c", "d", "e"];
    let counter = 0;
    for (let i = 0; i < 300; i++) {
      const time = T0 + i * 10_000;
      const resources: Resource[] = [{ resource: {}, metrics: [cpuTime((counter += 3))] }];
      for (const name of names) {
        if (random() < 0.15) continue; // vanished this time
        if (name === "d" && i % 60 < 20) continue; // away for minutes at a time
        const metrics: Metric[] = [
          cpuTime(random() < 0.05 ? 1 : counter),
          gauge("vigie.container.state", 1, { "container.state": random() < 0.1 ? "exited" : "running" }),
          gauge("container.memory.usage", Math.floor(random() * 1000)),
        ];
        if (random() < 0.1) metrics.reverse();
        if (random() < 0.1) metrics.push(gauge(`extra.${pick(names)}`, 1, random() < 0.5 ? { k: pick(names) } : undefined));
        if (random() < 0.05) (metrics[0] as { type: Metric["type"] }).type = "gauge";
        resources.push(container(name, random() < 0.1 ? "api" : "web", metrics));
      }
      if (random() < 0.2) resources.reverse();
      const bootId = i < 150 ? "boot-1" : "boot-2";
      planned.append(msg(i + 1, time, resources, bootId));
      // A new boot id every message: nothing planned is ever reused.
      fresh.append(msg(i + 1, time, resources, `fresh-${i}`));
      if (i % maintainEvery === maintainEvery - 1) {
        planned.maintain(time);
        fresh.maintain(time);
        // Written rollups let the numbers of series that left memory serve new ones.
        planned.flush();
        fresh.flush();
      }
    }
    expect(planned.stats.samples).toBeGreaterThan(1000);
    if (windowMs !== undefined) expect(planned.storedSeries("container.memory.usage").length).toBeGreaterThan([...planned.select("container.memory.usage")].length);
    expect(dump(planned)).toEqual(dump(fresh));
    expect(planned.stats).toEqual(fresh.stats);
    planned.close();
    fresh.close();
  });
});

describe("MetricsHistory sample times", () => {
  it("stores a sample at the same time whenever the history was started (a window rebuilt after a restart matches the live one)", () => {
    const times = [T0 + 49, T0 + 10_051, T0 + 20_150, T0 + 29_949, T0 + 40_000];
    const stored = [0, 37, 50, 99, 12_345].map((startedLate) => {
      const h = new MetricsHistory(":memory:", { now: () => T0 + startedLate });
      times.forEach((t, i) => h.append(msg(i + 1, t, [{ resource: {}, metrics: [gauge("g", i)] }])));
      const out: number[] = [];
      [...h.select("g")][0]?.ring.forEach(-Infinity, Infinity, (t) => out.push(t));
      h.close();
      return out;
    });
    expect(stored[0]).toEqual([T0, T0 + 10_100, T0 + 20_200, T0 + 29_900, T0 + 40_000]);
    for (const s of stored) expect(s).toEqual(stored[0]);
  });
});

describe("MetricsHistory rebuilt from a replay", () => {
  it("pairs the window's first counter reading with the one before it when primed, as live ingest did", () => {
    const messages = Array.from({ length: 8 }, (_, i) => msg(i + 1, T0 + i * 10_000 + (i % 3) * 7, [{ resource: {}, metrics: [cpuTime(100 + i * i), gauge("g", i)] }]));
    const live = new MetricsHistory(":memory:", { now: () => T0 });
    for (const m of messages) live.append(m);
    const since = T0 + 30_000; // the window starts with the fourth message
    const inWindow = (h: MetricsHistory) => dump(h).map((s) => ({ ...s, samples: s.samples.filter(([t]) => t >= since) }));
    const primed = new MetricsHistory(":memory:", { now: () => T0 + 1234 });
    for (const m of messages.slice(1)) primed.append(m, { primeOnly: m.time < since });
    const unprimed = new MetricsHistory(":memory:", { now: () => T0 + 1234 });
    for (const m of messages.filter((x) => x.time >= since)) unprimed.append(m);
    expect(inWindow(primed)).toEqual(inWindow(live));
    expect(dump(primed).every((s) => s.samples.every(([t]) => t >= since))).toBe(true);
    // Without the earlier reading the window's first rate is missing.
    expect(inWindow(unprimed)).not.toEqual(inWindow(live));
    for (const h of [live, primed, unprimed]) h.close();
  });
});
