import { statfsSync } from "node:fs";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { HostSource } from "../../agent/host/index.js";
import { METRIC, ResourceMetrics, type Metric } from "../../protocol/index.js";

const resource = { "host.name": os.hostname(), "node.id": "live" };

async function sampleLive(options: Partial<ConstructorParameters<typeof HostSource>[0]> = {}) {
  const [host] = await new HostSource({ hostRoot: "/", resource, ...options }).sample();
  return { host: host!, metric: (name: string): Metric | undefined => host!.metrics.find((m) => m.name === name) };
}

describe.runIf(process.platform === "linux")("HostSource on this machine (hostRoot /)", () => {
  it("reports every core, the machine's memory and a valid resource", async () => {
    const { host, metric } = await sampleLive();
    expect(() => ResourceMetrics.parse(host)).not.toThrow();
    expect(metric(METRIC.cpuLogicalCount)!.points[0]!.value).toBe(os.cpus().length);
    const cores = new Set(metric(METRIC.cpuTime)!.points.map((p) => p.attributes!["cpu.logical_number"]));
    expect(cores.size).toBe(os.cpus().length);
    expect(metric(METRIC.memoryLimit)!.points[0]!.value).toBe(os.totalmem());
    const available = metric(METRIC.memoryAvailable)!.points[0]!.value;
    expect(available).toBeGreaterThan(0);
    expect(available).toBeLessThanOrEqual(os.totalmem());
    expect(host.resource["os.type"]).toBe("linux");
  });

  it("reports the root filesystem with the sizes statfs gives", async () => {
    const { metric } = await sampleLive();
    const root = metric(METRIC.filesystemLimit)!.points.find((p) => p.attributes!["system.filesystem.mountpoint"] === "/");
    expect(root).toBeDefined();
    const s = statfsSync("/");
    expect(root!.value).toBe(s.blocks * s.bsize);
    const states = metric(METRIC.filesystemUsage)!.points.filter((p) => p.attributes!["system.filesystem.mountpoint"] === "/");
    expect(states.reduce((sum, p) => sum + p.value, 0)).toBe(root!.value);
  });

  it("leaves out loopback by default and includes it when nothing is excluded", async () => {
    const names = (m: Metric | undefined) => new Set(m?.points.map((p) => p.attributes!["network.interface.name"]));
    expect(names((await sampleLive()).metric(METRIC.networkIo)).has("lo")).toBe(false);
    expect(names((await sampleLive({ networkInterfacesExclude: "" })).metric(METRIC.networkIo)).has("lo")).toBe(true);
  });

  it("reports load, uptime consistent with os.uptime(), boot time, and counters that never go back", async () => {
    const source = new HostSource({ hostRoot: "/", resource });
    const [first] = await source.sample();
    const [second] = await source.sample();
    const get = (rm: ResourceMetrics | undefined, name: string) => rm!.metrics.find((m) => m.name === name)!;
    const uptime = get(second, METRIC.uptime).points[0]!.value;
    expect(Math.abs(uptime - os.uptime())).toBeLessThan(5);
    const boot = get(second, METRIC.bootTime).points[0]!.value;
    expect(Math.abs(boot + uptime - Date.now() / 1000)).toBeLessThan(5);
    expect(get(second, METRIC.loadAverage1m).points[0]!.value).toBeGreaterThanOrEqual(0);
    for (const name of [METRIC.cpuTime, METRIC.diskIo, METRIC.networkIo]) {
      // Matched by attributes: an interface may come or go between the two samples.
      const before = new Map(get(first, name).points.map((p) => [JSON.stringify(p.attributes), p.value]));
      for (const p of get(second, name).points) {
        const was = before.get(JSON.stringify(p.attributes));
        if (was !== undefined) expect(p.value).toBeGreaterThanOrEqual(was);
      }
    }
  });
});
