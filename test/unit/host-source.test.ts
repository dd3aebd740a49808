import path from "node:path";
import { describe, expect, it } from "vitest";
import { HostSource } from "../../agent/host/index.js";
import { METRIC, ResourceMetrics, type Metric } from "../../protocol/index.js";

const FIXTURES = path.join(import.meta.dirname, "../fixtures/host");
const resource = { "host.name": "node-1", "node.id": "abc123" };

async function sampleTree(tree: string, options: Partial<ConstructorParameters<typeof HostSource>[0]> = {}) {
  const source = new HostSource({ hostRoot: path.join(FIXTURES, tree), resource, ...options });
  const [host] = await source.sample();
  const metric = (name: string): Metric | undefined => host!.metrics.find((m) => m.name === name);
  return { host: host!, metric };
}

describe("HostSource on a captured host root", () => {
  it("samples every part of a real Debian host's files into one valid resource", async () => {
    const { host, metric } = await sampleTree("debian12-vm");
    expect(() => ResourceMetrics.parse(host)).not.toThrow();
    expect(host.resource).toMatchObject({
      "host.name": "node-1",
      "node.id": "abc123",
      "os.type": "linux",
      "os.description": "Debian GNU/Linux 12 (bookworm)",
      "host.cpu.model.name": "AMD EPYC",
    });
    expect(metric(METRIC.cpuTime)!.points).toHaveLength(2 * 8);
    expect(metric(METRIC.loadAverage1m)!.points[0]!.value).toBe(1.29);
    expect(metric(METRIC.memoryLimit)!.points[0]!.value).toBe(24683656 * 1024);
    expect(metric(METRIC.bootTime)!.points[0]!.value).toBe(1795802137);
    expect(metric(METRIC.diskIo)!.points.map((p) => p.attributes!["system.device"])).toEqual(["vda", "vda"]);
    expect(metric(METRIC.networkIo)!.points.some((p) => p.attributes!["network.interface.name"] === "lo")).toBe(false);
    // `/` is the fixture directory itself; `/mnt/tools` does not exist in the tree: an error, not numbers.
    expect(metric(METRIC.filesystemLimit)!.points.map((p) => p.attributes!["system.filesystem.mountpoint"])).toEqual(["/"]);
    expect(metric(METRIC.filesystemError)!.points.map((p) => [p.attributes!["system.filesystem.mountpoint"], p.value])).toEqual([
      ["/", 0],
      ["/mnt/tools", 1],
    ]);
    expect(metric(METRIC.temperature)).toBeUndefined();
  });

  it("finds hwmon and thermal sensors, with labels, limits, repeated chip names and attributes under device/", async () => {
    const { metric } = await sampleTree("sensors-odd");
    const temps = metric(METRIC.temperature)!.points.map((p) => [p.attributes!["hw.id"], p.attributes!["hw.name"], p.value]);
    expect(temps).toEqual([
      ["coretemp_temp1", "Package id 0", 52],
      ["coretemp_temp2", "temp2", 48.5],
      ["nvme_hwmon1_temp1", "Composite", 38.85],
      ["nvme_hwmon2_temp1", "Composite", 41.85],
      ["it87_temp1", "temp1", 33],
      ["thermal_zone0", "x86_pkg_temp", 51],
    ]);
    expect(metric(METRIC.temperatureLimit)!.points).toHaveLength(2);
  });

  it("reports a mount point that is only a directory under the host root as an error, not with its parent's numbers", async () => {
    const { metric } = await sampleTree("sensors-odd");
    expect(metric(METRIC.filesystemLimit)!.points.map((p) => p.attributes!["system.filesystem.mountpoint"])).toEqual(["/"]);
    // `mnt/my disk` and `data` exist in the tree as plain directories of the fixture's filesystem.
    const errors = metric(METRIC.filesystemError)!.points.filter((p) => p.value === 1).map((p) => p.attributes!["system.filesystem.mountpoint"]);
    expect(errors).toEqual(["/run", "/mnt/my disk", "/data", "/mnt/nfs", "/mnt/over", "/var/lib/db"]);
  });

  it("reads the host's network (its pid 1's), not the agent's own, under a host root", async () => {
    // overlay-agent: proc/net/dev is what an agent on an overlay network sees; proc/1/net/dev the host's.
    const { metric } = await sampleTree("overlay-agent");
    const rx = metric(METRIC.networkIo)!.points.find((p) => p.attributes!["network.interface.name"] === "eth0" && p.attributes!["network.io.direction"] === "receive");
    expect(rx?.value).not.toBe(9999);
    expect(rx?.value).toBeGreaterThan(0);
    const ifaces = new Set(metric(METRIC.networkIo)!.points.map((p) => p.attributes!["network.interface.name"]));
    expect(ifaces.has("docker_gwbridge")).toBe(true);
  });

  it("applies the configured exclusions", async () => {
    const { metric } = await sampleTree("sensors-odd", { networkInterfacesExclude: "^(eth|br-)", diskDevicesExclude: "", mountPointsExclude: "^/mnt/" });
    const ifaces = new Set(metric(METRIC.networkIo)!.points.map((p) => p.attributes!["network.interface.name"]));
    expect([...ifaces]).toEqual(["lo", "vethab12cd3", "docker_gwbridge"]);
    expect(new Set(metric(METRIC.diskIo)!.points.map((p) => p.attributes!["system.device"])).size).toBe(9);
    // With `/mnt/my disk` left out, the bind mount `/srv/data` is what remains of that filesystem.
    expect(metric(METRIC.filesystemError)!.points.map((p) => p.attributes!["system.filesystem.mountpoint"])).toEqual(["/", "/run", "/srv/data", "/data", "/var/lib/db"]);
  });

  it.runIf(process.platform === "linux")("refuses a host root without /proc rather than sampling the agent's own view", () => {
    expect(() => new HostSource({ hostRoot: path.join(FIXTURES, "missing"), resource })).toThrow(/has no proc\/stat/);
  });

  it("refuses an invalid exclusion at construction", () => {
    expect(() => new HostSource({ hostRoot: "/", resource, diskDevicesExclude: "(" })).toThrow(/diskDevicesExclude/);
  });
});
