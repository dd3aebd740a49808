import os from "node:os";
import { describe, expect, it } from "vitest";
import { compileFilters } from "../../agent/host/options.js";
import { PortableHost } from "../../agent/host/portable.js";
import { METRIC, ResourceMetrics } from "../../protocol/index.js";

// The path for hosts without /proc, exercised here on Linux where systeminformation works too.
describe("PortableHost (Node's os + systeminformation)", () => {
  it("reports every core, the machine's memory, the root filesystem and uptime as valid metrics", async () => {
    const host = new PortableHost(compileFilters(), () => 1_800_000_000_000);
    const metrics = await host.sample();
    expect(() => ResourceMetrics.parse({ resource: {}, metrics })).not.toThrow();
    const get = (name: string) => metrics.find((m) => m.name === name);
    expect(get(METRIC.cpuLogicalCount)!.points[0]!.value).toBe(os.cpus().length);
    expect(get(METRIC.memoryLimit)!.points[0]!.value).toBe(os.totalmem());
    if (process.platform === "linux") {
      expect(get(METRIC.filesystemLimit)!.points.some((p) => p.attributes!["system.filesystem.mountpoint"] === "/")).toBe(true);
    }
    expect(get(METRIC.uptime)!.points[0]!.value).toBeGreaterThan(0);
    expect(get(METRIC.bootTime)!.points[0]!.value).toBe(Math.round(1_800_000_000 - get(METRIC.uptime)!.points[0]!.value));
    expect(get(METRIC.networkPackets)).toBeUndefined();
  });

  it("reads the static facts once into resource attributes", async () => {
    const facts = await new PortableHost(compileFilters()).facts();
    expect(facts["os.type"]).toBe(process.platform === "win32" ? "windows" : process.platform);
    expect(facts["host.arch"]).toBeTruthy();
  });
});
