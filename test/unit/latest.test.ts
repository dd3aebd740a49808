import { describe, expect, it } from "vitest";
import { LatestMetrics } from "../../collector/history/latest.js";
import type { EnvelopeOf, Metric, ResourceMetrics } from "../../protocol/index.js";

const host = (value: number, extra: Metric[] = []): ResourceMetrics => ({
  resource: { "host.name": "w1", "node.id": "n1" },
  metrics: [
    { name: "system.cpu.time", type: "counter", unit: "s", points: [{ attributes: { "cpu.mode": "user", "cpu.logical_number": 0 }, value }, { attributes: { "cpu.mode": "idle", "cpu.logical_number": 0 }, value: value * 2 }] },
    { name: "system.memory.limit", type: "updowncounter", unit: "By", points: [{ value: 8e9 }] },
    ...extra,
  ],
});
const container = (id: string, value: number, state = "running"): ResourceMetrics => ({
  resource: { "container.id": id, "container.name": `web.${id}` },
  metrics: [
    { name: "container.memory.usage", type: "updowncounter", unit: "By", points: [{ value }] },
    { name: "vigie.container.state", type: "gauge", unit: "1", points: [{ attributes: { "container.state": state }, value: 1 }] },
  ],
});
const message = (time: number, resources: ResourceMetrics[]): EnvelopeOf<"metrics"> => ({
  schema: "vigie.v1",
  kind: "metrics",
  node: { id: "n1", hostname: "w1" },
  agent: { version: "t", bootId: "b", seq: time },
  time,
  payload: { resources },
});
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe("the latest metrics of a node", () => {
  it("reads back exactly what the latest message said, values and layout", () => {
    const latest = new LatestMetrics();
    latest.apply(message(1000, [host(5), container("c1", 100)]));
    const m2 = message(2000, [host(7), container("c1", 200, "paused"), container("c2", 300)]);
    latest.apply(plain(m2) as EnvelopeOf<"metrics">);
    const n = latest.get("n1");
    expect(n?.time).toBe(2000);
    expect(plain(n?.host?.metrics)).toEqual(plain(host(7).metrics));
    expect(n?.host?.resource).toEqual(host(7).resource);
    expect(plain(n?.containers.get("c1")?.metrics)).toEqual(plain(container("c1", 200, "paused").metrics));
    expect(plain(n?.containers.get("c2")?.metrics)).toEqual(plain(container("c2", 300).metrics));
    expect(n?.containers.get("c2")?.time).toBe(2000);
  });

  it("shares the layout with the message before when it is the same, and not when anything differs", () => {
    const latest = new LatestMetrics();
    latest.apply(message(1000, [host(5), container("c1", 100)]));
    const first = latest.get("n1");
    latest.apply(plain(message(2000, [host(6), container("c1", 150)])) as EnvelopeOf<"metrics">);
    const second = latest.get("n1");
    // Same shape: the attribute objects (and the resource) of the first message are the ones kept.
    expect(second?.host?.metrics[0]?.points[0]?.attributes).toBe(first?.host?.metrics[0]?.points[0]?.attributes);
    expect(second?.containers.get("c1")?.resource).toBe(first?.containers.get("c1")?.resource);
    expect(second?.host?.metrics[0]?.points[0]?.value).toBe(6);

    // A changed attribute value, an added metric, a changed unit: each read back as sent.
    const changes: ResourceMetrics[][] = [
      [host(7), container("c1", 1, "exited")],
      [host(8, [{ name: "system.uptime", type: "gauge", unit: "s", points: [{ value: 9 }] }]), container("c1", 2)],
      [{ ...host(9), metrics: host(9).metrics.map((m) => ({ ...m, unit: m.name === "system.memory.limit" ? "KiBy" : m.unit })) }, container("c1", 3)],
    ];
    let t = 3000;
    for (const resources of changes) {
      latest.apply(plain(message(t, resources)) as EnvelopeOf<"metrics">);
      const n = latest.get("n1");
      expect(plain(n?.host?.metrics)).toEqual(plain(resources[0]?.metrics));
      expect(plain(n?.containers.get("c1")?.metrics)).toEqual(plain(resources[1]?.metrics));
      t += 1000;
    }
    // Resource attributes that changed are the new ones.
    latest.apply(message(t, [host(10), { ...container("c1", 4), resource: { "container.id": "c1", "container.name": "renamed" } }]));
    expect(latest.get("n1")?.containers.get("c1")?.resource["container.name"]).toBe("renamed");
  });

  it("ignores an older message, and keeps containers a while when a message carries none", () => {
    const latest = new LatestMetrics({ defaultIntervalMs: 1000 });
    latest.apply(message(1000, [host(1), container("c1", 100)]));
    latest.apply(message(2000, [host(2), container("c1", 200)]));
    latest.apply(message(1500, [host(99), container("c1", 999)]));
    expect(latest.get("n1")?.host?.metrics[1]?.points[0]?.value).toBe(8e9);
    expect(latest.get("n1")?.containers.get("c1")?.metrics[0]?.points[0]?.value).toBe(200);
    latest.apply(message(3000, [host(3)]));
    expect(latest.get("n1")?.containers.get("c1")?.metrics[0]?.points[0]?.value).toBe(200);
    latest.apply(message(20_000, [host(4)])); // 18 s after c1 was last seen: past 3 (smoothed) intervals
    expect(latest.get("n1")?.containers.size).toBe(0);
  });

  it("drops containers at once when a message with none says its list is complete (the last container stopped)", () => {
    const latest = new LatestMetrics({ defaultIntervalMs: 1000 });
    latest.apply(message(1000, [host(1), container("c1", 100)]));
    latest.apply({ ...message(2000, [host(2)]), payload: { resources: [host(2)], containersComplete: false } });
    expect(latest.get("n1")?.containers.has("c1")).toBe(true); // not known this cycle: kept a while
    latest.apply({ ...message(3000, [host(3)]), payload: { resources: [host(3)], containersComplete: true } });
    expect(latest.get("n1")?.containers.size).toBe(0);
  });
});
