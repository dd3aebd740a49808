import { describe, expect, it } from "vitest";
import { applyMetrics } from "../../collector/store/nodes.js";
import type { EnvelopeOf } from "../../protocol/index.js";

const env = (time: number, idle: number, user: number, seq = 1): EnvelopeOf<"metrics"> => ({
  schema: "vigie.v1",
  kind: "metrics",
  node: { id: "n1", hostname: "host-1" },
  agent: { version: "t", bootId: "b", seq },
  time,
  payload: {
    resources: [
      {
        resource: { "host.name": "host-1" },
        metrics: [
          {
            name: "system.cpu.time",
            type: "counter",
            unit: "s",
            points: [
              { attributes: { "cpu.mode": "idle", "cpu.logical_number": 0 }, value: idle },
              { attributes: { "cpu.mode": "user", "cpu.logical_number": 0 }, value: user },
            ],
          },
          { name: "system.memory.limit", type: "updowncounter", unit: "By", points: [{ value: 1000 }] },
          { name: "system.memory.linux.available", type: "updowncounter", unit: "By", points: [{ value: 250 }] },
        ],
      },
    ],
  },
});

describe("node state from metrics", () => {
  it("has no CPU utilization from one sample (counters need two)", () => {
    const s = applyMetrics(undefined, env(1000, 10, 10), 1001);
    expect(s.cpu).toEqual({ cores: 1, utilization: undefined });
    expect(s.memory).toMatchObject({ totalBytes: 1000, usedBytes: 750, utilization: 0.75 });
  });

  it("derives utilization from the change of idle over total", () => {
    const a = applyMetrics(undefined, env(1000, 10, 10), 1001);
    const b = applyMetrics(a, env(2000, 13, 19, 2), 2001);
    expect(b.cpu?.utilization).toBeCloseTo(0.75);
  });

  it("leaves utilization unknown across a counter reset (reboot)", () => {
    const a = applyMetrics(undefined, env(1000, 1000, 1000), 1001);
    const b = applyMetrics(a, env(2000, 1, 1, 2), 2001);
    expect(b.cpu?.utilization).toBeUndefined();
    const c = applyMetrics(b, env(3000, 2, 2, 3), 3001);
    expect(c.cpu?.utilization).toBeCloseTo(0.5);
  });

  it("ignores an older sample arriving late, but still marks the node seen", () => {
    const a = applyMetrics(undefined, env(2000, 10, 10), 2001);
    const b = applyMetrics(a, env(1000, 1, 1, 2), 5000);
    expect(b.cpuCounters).toEqual(a.cpuCounters);
    expect(b.lastSeen).toBe(5000);
  });
});
