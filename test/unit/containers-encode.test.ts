import { describe, expect, it } from "vitest";
import { encodeContainer } from "../../agent/containers/metrics.js";
import type { ContainerStats } from "../../agent/containers/cgroup.js";
import type { ContainerMeta } from "../../agent/containers/metadata.js";
import { decode, encode, EncodedResource, pointCount, type Envelope, type ResourceMetrics } from "../../protocol/index.js";

const meta = (over: Partial<ContainerMeta> = {}): ContainerMeta => ({
  id: "c1",
  name: "web.1",
  image: "nginx:1",
  labels: {},
  state: "running",
  health: "healthy",
  pid: 42,
  startedAt: 1_764_000_000_500,
  restartCount: 3,
  oomKilled: false,
  networkMode: "bridge",
  cpuLimited: false,
  ...over,
});

const stats = (): ContainerStats => ({
  cpu: { totalSeconds: 12.5, userSeconds: 10, systemSeconds: 2.5, periods: 100, throttledPeriods: 7, throttledSeconds: 0.25 },
  memory: { usage: 1000, workingSet: 800, limit: 4096, cache: 200, rss: 600, oomKills: 1 },
  blkio: [{ device: "8:0", readBytes: 4096, writeBytes: 8192, readOps: 1, writeOps: 2 }],
  pids: 5,
  network: [
    { name: "eth0", rxBytes: 1, txBytes: 2, rxPackets: 3, txPackets: 4, rxErrors: 5, txErrors: 6, rxDropped: 7, txDropped: 8 },
    { name: "eth1", rxBytes: 11, txBytes: 12, rxPackets: 13, txPackets: 14, rxErrors: 15, txErrors: 16, rxDropped: 17, txDropped: 18 },
  ],
});

const json = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v), "utf8");

const RESOURCE = { "host.name": "worker-1", "node.id": "n1", "container.id": "c1", "container.name": 'we"b' };

describe("a container's metrics written as JSON", () => {
  it("holds every metric with its type, unit, attributes and value", () => {
    const r = encodeContainer(json(RESOURCE), stats(), meta());
    const parsed = JSON.parse(r.json) as ResourceMetrics;
    expect(parsed.resource).toEqual(RESOURCE);
    const byName = new Map(parsed.metrics.map((m) => [m.name, m]));
    expect(byName.get("container.cpu.time")).toEqual({
      name: "container.cpu.time",
      type: "counter",
      unit: "s",
      points: [
        { attributes: { "cpu.mode": "user" }, value: 10 },
        { attributes: { "cpu.mode": "system" }, value: 2.5 },
      ],
    });
    expect(byName.get("vigie.container.memory.limit")).toEqual({ name: "vigie.container.memory.limit", type: "updowncounter", unit: "By", points: [{ value: 4096 }] });
    expect(byName.get("container.network.io")?.points).toEqual([
      { attributes: { "network.interface.name": "eth0", "network.io.direction": "receive" }, value: 1 },
      { attributes: { "network.interface.name": "eth0", "network.io.direction": "transmit" }, value: 2 },
      { attributes: { "network.interface.name": "eth1", "network.io.direction": "receive" }, value: 11 },
      { attributes: { "network.interface.name": "eth1", "network.io.direction": "transmit" }, value: 12 },
    ]);
    expect(byName.get("vigie.container.network.packet.dropped")?.points.map((p) => p.value)).toEqual([7, 8, 17, 18]);
    expect(byName.get("vigie.container.disk.operations")?.points).toEqual([
      { attributes: { "system.device": "8:0", "disk.io.direction": "read" }, value: 1 },
      { attributes: { "system.device": "8:0", "disk.io.direction": "write" }, value: 2 },
    ]);
    expect(byName.get("vigie.container.state")?.points).toEqual([{ attributes: { "container.state": "running" }, value: 1 }]);
    expect(byName.get("vigie.container.health")?.points).toEqual([{ attributes: { "container.health.status": "healthy" }, value: 1 }]);
    expect(byName.get("vigie.container.start_time")).toEqual({ name: "vigie.container.start_time", type: "gauge", unit: "s", points: [{ value: 1_764_000_000.5 }] });
    expect(byName.get("vigie.container.restarts")?.points).toEqual([{ value: 3 }]);
    expect(parsed.metrics).toHaveLength(22);
    // The count it carries is the count of what it holds.
    expect(r.points).toBe(parsed.metrics.reduce((n, m) => n + m.points.length, 0));
    expect(pointCount(r)).toBe(r.points);
    // It reads as a ResourceMetrics.
    expect(r.metrics.find((m) => m.name === "vigie.container.pids")?.points[0]?.value).toBe(5);
    expect(r.resource["container.name"]).toBe('we"b');
  });

  it("leaves out what is unknown or not a finite number, and metrics left without points", () => {
    const s = stats();
    s.cpu.userSeconds = undefined;
    s.memory.limit = undefined;
    s.memory.rss = Number.NaN;
    s.network = [{ name: "eth0", rxBytes: Number.NaN, txBytes: 2, rxPackets: Number.POSITIVE_INFINITY, txPackets: Number.NaN, rxErrors: 0, txErrors: 0, rxDropped: 0, txDropped: 0 }];
    s.blkio = [];
    const parsed = JSON.parse(encodeContainer(json({}), s, meta({ startedAt: undefined, state: 'odd "state"\n' })).json) as ResourceMetrics;
    const names = parsed.metrics.map((m) => m.name);
    expect(names).not.toContain("container.cpu.time");
    expect(names).not.toContain("vigie.container.memory.limit");
    expect(names).not.toContain("container.memory.rss");
    expect(names).not.toContain("vigie.container.network.packet.count");
    expect(names).not.toContain("container.disk.io");
    expect(names).not.toContain("vigie.container.start_time");
    expect(parsed.metrics.find((m) => m.name === "container.network.io")?.points).toEqual([{ attributes: { "network.interface.name": "eth0", "network.io.direction": "transmit" }, value: 2 }]);
    expect(parsed.metrics.find((m) => m.name === "vigie.container.state")?.points[0]?.attributes).toEqual({ "container.state": 'odd "state"\n' });
  });

  it("prints every number as JSON does: whole numbers of any size, fractions, negatives, zero", () => {
    const values = [0, 1, 9, 10, 99, 100, 123_456_789, 4_294_967_296, 2 ** 53 - 1, 2 ** 53, 2 ** 64, 1e21, 1.5, 0.1 + 0.2, 1e-7, -3, -0.25, -0];
    for (const v of values) {
      const s = stats();
      s.memory.usage = v;
      const text = encodeContainer(json({}), s, meta()).json;
      expect(text).toContain(`{"value":${JSON.stringify(v)}}`);
      const usage = (JSON.parse(text) as ResourceMetrics).metrics.find((m) => m.name === "container.memory.usage");
      expect(usage?.points[0]?.value).toBe(v === 0 ? 0 : v);
    }
  });

  it("writes containers far larger than its first buffer, each one whole", () => {
    const s = stats();
    s.network = Array.from({ length: 400 }, (_, i) => ({ name: `veth${i}`, rxBytes: i, txBytes: i + 1, rxPackets: 3, txPackets: 4, rxErrors: 5, txErrors: 6, rxDropped: 7, txDropped: 8 }));
    const big = encodeContainer(json({ "container.id": "x".repeat(5000) }), s, meta());
    const small = encodeContainer(json(RESOURCE), stats(), meta());
    const parsed = JSON.parse(big.json) as ResourceMetrics;
    expect(big.bytes.length).toBeGreaterThan(64 * 1024);
    expect(parsed.metrics.find((m) => m.name === "container.network.io")?.points).toHaveLength(800);
    expect(parsed.resource["container.id"]).toHaveLength(5000);
    // The first result is not overwritten by the next one.
    expect((JSON.parse(big.json) as ResourceMetrics).metrics).toHaveLength(parsed.metrics.length);
    expect((JSON.parse(small.json) as ResourceMetrics).resource).toEqual(RESOURCE);
  });

  it("writes a container the same, byte for byte, whatever was written before it", () => {
    const first = encodeContainer(json(RESOURCE), stats(), meta());
    const s = stats();
    s.network = Array.from({ length: 50 }, (_, i) => ({ name: `veth${i}`, rxBytes: i, txBytes: i, rxPackets: 1, txPackets: 1, rxErrors: 0, txErrors: 0, rxDropped: 0, txDropped: 0 }));
    encodeContainer(json({ "container.id": "other" }), s, meta({ state: "exited", startedAt: undefined }));
    const nothing = stats();
    nothing.network = [];
    nothing.blkio = [];
    encodeContainer(json({}), nothing, meta());
    const again = encodeContainer(json(RESOURCE), stats(), meta());
    expect(Buffer.compare(Buffer.from(again.bytes), Buffer.from(first.bytes))).toBe(0);
    expect(again.points).toBe(first.points);
  });

  it("goes into an envelope as it is, beside resources given as objects, and the collector reads it back", () => {
    const encoded = encodeContainer(json(RESOURCE), stats(), meta());
    const plain: ResourceMetrics = { resource: { "host.name": "worker-1", "node.id": "n1" }, metrics: [{ name: "system.memory.limit", type: "updowncounter", unit: "By", points: [{ value: 8 }] }] };
    const envelope: Envelope = {
      schema: "vigie.v1",
      kind: "metrics",
      node: { id: "n1", hostname: "worker-1" },
      agent: { version: "0.1.0", bootId: "b1", seq: 9 },
      time: 1_764_000_000_000,
      payload: { resources: [plain, encoded, new EncodedResource(encoded.bytes, encoded.points)] },
    };
    const bytes = encode(envelope);
    const decoded = decode(bytes);
    if (!decoded.ok) throw decoded.error;
    expect(decoded.value).toEqual(JSON.parse(JSON.stringify(envelope)));
    if (decoded.value.kind !== "metrics") throw new Error("expected metrics");
    expect(decoded.value.payload.resources).toHaveLength(3);
    expect(decoded.value.payload.resources[1]).toEqual(JSON.parse(encoded.json));
    expect(decoded.value.payload.containersComplete).toBeUndefined();
    // Whether the containers are all there goes with them, true or false.
    for (const containersComplete of [true, false]) {
      const again = decode(encode({ ...envelope, payload: { ...envelope.payload, containersComplete } }));
      if (!again.ok || again.value.kind !== "metrics") throw new Error("expected metrics");
      expect(again.value.payload.containersComplete).toBe(containersComplete);
      expect(again.value.payload.resources).toEqual(decoded.value.payload.resources);
    }
  });
});
