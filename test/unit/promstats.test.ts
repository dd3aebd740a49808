import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { mirroredCounter, mirroredCounters } from "../../lib/promstats.js";

async function valueOf(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return undefined;
  const { values } = await metric.get();
  return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe("mirroredCounter", () => {
  it("follows the mirrored number at each scrape", async () => {
    const registry = new Registry();
    let n = 0;
    mirroredCounter(registry, "test_things_total", "Things.", () => n);
    expect(await valueOf(registry, "test_things_total")).toBe(0);
    n = 5;
    expect(await valueOf(registry, "test_things_total")).toBe(5);
    n = 12;
    expect(await valueOf(registry, "test_things_total")).toBe(12);
    expect(await registry.metrics()).toContain("# TYPE test_things_total counter");
  });

  it("never goes down when the mirrored number does (its owner was replaced), and resumes once it passes the old value", async () => {
    const registry = new Registry();
    let n = 10;
    mirroredCounter(registry, "test_reset_total", "Reset.", () => n);
    expect(await valueOf(registry, "test_reset_total")).toBe(10);
    n = 3;
    expect(await valueOf(registry, "test_reset_total")).toBe(10);
    n = 8;
    expect(await valueOf(registry, "test_reset_total")).toBe(10);
    n = 14;
    expect(await valueOf(registry, "test_reset_total")).toBe(14);
  });
});

describe("mirroredCounters", () => {
  it("keeps one series per label value, each following its own total, never decreasing", async () => {
    const registry = new Registry();
    const totals = new Map<string, number>([["too_large", 2]]);
    mirroredCounters(registry, "test_dead_total", "Dead letters.", "reason", () => totals);
    expect(await valueOf(registry, "test_dead_total", { reason: "too_large" })).toBe(2);
    expect(await valueOf(registry, "test_dead_total", { reason: "clock_skew" })).toBeUndefined();

    totals.set("clock_skew", 4);
    totals.set("too_large", 3);
    expect(await valueOf(registry, "test_dead_total", { reason: "too_large" })).toBe(3);
    expect(await valueOf(registry, "test_dead_total", { reason: "clock_skew" })).toBe(4);

    totals.set("clock_skew", 1);
    expect(await valueOf(registry, "test_dead_total", { reason: "clock_skew" })).toBe(4);
    expect(await valueOf(registry, "test_dead_total", { reason: "too_large" })).toBe(3);
  });

  it("accepts an array of pairs", async () => {
    const registry = new Registry();
    let accepted = 0;
    mirroredCounters(registry, "test_msgs_total", "Messages.", "outcome", () => [
      ["accepted", accepted],
      ["duplicate", 1],
    ]);
    accepted = 7;
    expect(await valueOf(registry, "test_msgs_total", { outcome: "accepted" })).toBe(7);
    expect(await valueOf(registry, "test_msgs_total", { outcome: "duplicate" })).toBe(1);
  });
});
