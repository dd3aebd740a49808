import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cpuMetrics, parseProcStat } from "../../agent/host/cpu.js";
import { diskMetrics, parseDiskstats } from "../../agent/host/disks.js";
import { parseCpuModel, parseOsRelease, hostArch } from "../../agent/host/facts.js";
import { filesystemMetrics, parseMountinfo, parseProcMounts, selectMounts } from "../../agent/host/filesystems.js";
import { memoryMetrics, parseMeminfo } from "../../agent/host/memory.js";
import { networkMetrics, parseNetDev } from "../../agent/host/network.js";
import { compileFilters } from "../../agent/host/options.js";
import { chipIds, hwmonSensors, parseMillidegrees, temperatureMetrics } from "../../agent/host/sensors.js";
import { parseLoadavg, parseUptime, systemMetrics } from "../../agent/host/system.js";
import { METRIC } from "../../protocol/index.js";

const FIXTURES = path.join(import.meta.dirname, "../fixtures/host");
const real = (file: string) => readFileSync(path.join(FIXTURES, "debian12-vm", file), "utf8");
const odd = (file: string) => readFileSync(path.join(FIXTURES, "sensors-odd", file), "utf8");
const filters = compileFilters();
const mountFilter = { excludeTypes: filters.fsTypes, excludeMountPoints: filters.mountPoints };

describe("parseProcStat", () => {
  it("reads per-core seconds and boot time from a real /proc/stat, leaving out the aggregate line", () => {
    const { cpus, bootTime } = parseProcStat(real("proc/stat"));
    expect(cpus.map((c) => c.cpu)).toEqual([0, 1]);
    // cpu0 15054 0 2461 111614 95 0 107 532 → user nice system idle iowait irq softirq steal
    expect(cpus[0]!.seconds).toEqual([150.54, 0, 24.61, 1116.14, 0.95, 0, 1.07, 5.32]);
    expect(bootTime).toBe(1795802137);
  });

  it("counts a column an old kernel lacks (steal) as zero", () => {
    const { cpus } = parseProcStat(odd("proc/stat"));
    expect(cpus).toHaveLength(4);
    expect(cpus[3]!.seconds).toEqual([1, 0, 0.5, 20, 0.05, 0.02, 0.01, 0]);
  });

  it("emits one system.cpu.time point per core and mode", () => {
    const [time, count] = cpuMetrics(parseProcStat(odd("proc/stat")).cpus);
    expect(time!.name).toBe(METRIC.cpuTime);
    expect(time!.points).toHaveLength(4 * 8);
    expect(time!.points[0]).toEqual({ attributes: { "cpu.mode": "user", "cpu.logical_number": 0 }, value: 1 });
    expect(count!.points[0]!.value).toBe(4);
  });
});

describe("load average, uptime and boot time", () => {
  it("parses /proc/loadavg and /proc/uptime", () => {
    expect(parseLoadavg(real("proc/loadavg"))).toEqual({ load1: 1.29, load5: 0.77, load15: 0.4 });
    expect(parseUptime(real("proc/uptime"))).toBe(1300.21);
    expect(parseLoadavg("garbage")).toBeUndefined();
  });

  it("emits the hostmetrics load names, system.uptime and the boot time", () => {
    const names = systemMetrics(parseLoadavg(odd("proc/loadavg")), 10, 1700000000).map((m) => [m.name, m.points[0]!.value]);
    expect(names).toEqual([
      [METRIC.loadAverage1m, 2.5],
      [METRIC.loadAverage5m, 1.25],
      [METRIC.loadAverage15m, 0.75],
      [METRIC.uptime, 10],
      [METRIC.bootTime, 1700000000],
    ]);
  });
});

describe("parseMeminfo and memoryMetrics", () => {
  it("reads kB fields as bytes and counts as counts", () => {
    const mem = parseMeminfo(real("proc/meminfo"));
    expect(mem.get("MemTotal")).toBe(24683656 * 1024);
    expect(mem.get("MemAvailable")).toBe(24254640 * 1024);
    expect(parseMeminfo(odd("proc/meminfo")).get("HugePages_Total")).toBe(4);
  });

  it("splits memory into states that sum to the limit and reports swap", () => {
    const metrics = memoryMetrics(parseMeminfo(odd("proc/meminfo")));
    const usage = metrics.find((m) => m.name === METRIC.memoryUsage)!;
    const limit = metrics.find((m) => m.name === METRIC.memoryLimit)!.points[0]!.value;
    const byState = Object.fromEntries(usage.points.map((p) => [p.attributes!["system.memory.state"], p.value / 1024]));
    expect(byState).toEqual({ used: 3_500_000, free: 1_000_000, buffers: 200_000, cached: 3_000_000, slab_reclaimable: 300_000 });
    expect(usage.points.reduce((s, p) => s + p.value, 0)).toBe(limit);
    const swap = metrics.find((m) => m.name === METRIC.pagingUsage)!;
    expect(swap.points.map((p) => [p.attributes!["system.paging.state"], p.value / 1024])).toEqual([
      ["used", 500_000],
      ["free", 1_500_000],
    ]);
  });
});

describe("parseDiskstats", () => {
  it("reads a real device's counters in bytes and seconds", () => {
    const vda = parseDiskstats(real("proc/diskstats"), filters.disks);
    // vda 58386 12162 3157226 22698 10569 67014 3338608 37989 0 15136 64396 …
    expect(vda).toEqual([
      {
        device: "vda",
        reads: 58386,
        readsMerged: 12162,
        readBytes: 3157226 * 512,
        readSeconds: 22.698,
        writes: 10569,
        writesMerged: 67014,
        writtenBytes: 3338608 * 512,
        writeSeconds: 37.989,
        inProgress: 0,
        ioSeconds: 15.136,
        weightedIoSeconds: 64.396,
      },
    ]);
  });

  it("leaves out partitions, loop and ram devices like node_exporter, keeping whole disks and device mapper", () => {
    expect(parseDiskstats(odd("proc/diskstats"), filters.disks).map((d) => d.device)).toEqual(["sda", "nvme0n1", "dm-0", "sr0"]);
  });

  it("reads the 4-counter lines of old kernels and the 11-counter lines without discards", () => {
    const all = parseDiskstats(odd("proc/diskstats"));
    expect(all.find((d) => d.device === "sdb1")).toMatchObject({ reads: 42, readBytes: 84 * 512, writes: 7, writtenBytes: 56 * 512 });
    expect(all.find((d) => d.device === "dm-0")).toMatchObject({ reads: 300, weightedIoSeconds: 0.07 });
  });

  it("emits OTel disk metrics per device and direction", () => {
    const metrics = diskMetrics(parseDiskstats(odd("proc/diskstats"), filters.disks));
    const io = metrics.find((m) => m.name === METRIC.diskIo)!;
    expect(io.points[0]).toEqual({ attributes: { "system.device": "sda", "disk.io.direction": "read" }, value: 80000 * 512 });
    expect(metrics.find((m) => m.name === METRIC.diskIoTime)!.points[1]).toEqual({ attributes: { "system.device": "nvme0n1" }, value: 7 });
    expect(metrics.find((m) => m.name === METRIC.diskPendingOperations)!.points[1]!.value).toBe(3);
  });
});

describe("parseNetDev", () => {
  it("reads a real /proc/net/dev and leaves out loopback and veth pairs by default", () => {
    const ifs = parseNetDev(real("proc/net/dev"), filters.interfaces);
    expect(ifs.map((i) => i.name)).toEqual(["ifb0", "ifb1", "eth0", "docker_gwbridge"]);
    expect(ifs.find((i) => i.name === "eth0")).toMatchObject({ rxBytes: 355079276, rxPackets: 12905, txBytes: 1047139, txPackets: 9027 });
  });

  it("keeps loopback when no exclusion is configured", () => {
    expect(parseNetDev(real("proc/net/dev")).map((i) => i.name)).toContain("lo");
  });

  it("reads a counter that touches the colon, dotted and dashed names", () => {
    const ifs = parseNetDev(odd("proc/net/dev"), filters.interfaces);
    expect(ifs.map((i) => i.name)).toEqual(["eth0", "eth0.100", "br-0a1b2c3d", "docker_gwbridge"]);
    expect(ifs[0]).toEqual({
      name: "eth0",
      rxBytes: 123456789012345,
      rxPackets: 98765432,
      rxErrors: 1,
      rxDropped: 2,
      txBytes: 987654321098,
      txPackets: 87654321,
      txErrors: 3,
      txDropped: 4,
    });
  });

  it("names the interface as OTel does on each metric", () => {
    const metrics = networkMetrics(parseNetDev(odd("proc/net/dev"), filters.interfaces));
    expect(metrics.map((m) => m.name)).toEqual([METRIC.networkIo, METRIC.networkPackets, METRIC.networkErrors, METRIC.networkDropped]);
    expect(metrics[0]!.points[1]).toEqual({ attributes: { "network.interface.name": "eth0", "network.io.direction": "transmit" }, value: 987654321098 });
    expect(metrics[1]!.points[0]!.attributes).toEqual({ "system.device": "eth0", "network.io.direction": "receive" });
  });
});

describe("mounts", () => {
  it("parses a real mountinfo: device numbers, roots, types, read-only flags", () => {
    const mounts = parseMountinfo(real("proc/1/mountinfo"));
    expect(mounts).toHaveLength(26);
    expect(mounts.find((m) => m.mountPoint === "/")).toEqual({ deviceId: "254:0", root: "/", mountPoint: "/", readOnly: false, fsType: "ext4", device: "/dev/vda" });
    expect(mounts.find((m) => m.mountPoint === "/mnt/tools")?.readOnly).toBe(true);
  });

  it("keeps the real root filesystem once, without its /var/lib/docker bind mount, pseudo filesystems or overlay", () => {
    const selected = selectMounts(parseMountinfo(real("proc/1/mountinfo")), mountFilter);
    expect(selected.map((m) => m.mountPoint)).toEqual(["/", "/mnt/tools"]);
    const fromProcMounts = selectMounts(parseProcMounts(real("proc/mounts")), mountFilter);
    expect(fromProcMounts.map((m) => m.mountPoint)).toEqual(["/", "/mnt/tools"]);
  });

  it("unescapes \\040, prefers a whole filesystem to a bind mount of its subtree, and keeps the visible mount of a mount point", () => {
    const selected = selectMounts(parseMountinfo(odd("proc/1/mountinfo")), mountFilter);
    expect(selected.map((m) => `${m.mountPoint} ${m.fsType} ${m.readOnly ? "ro" : "rw"}`)).toEqual([
      "/ ext4 rw",
      "/run tmpfs rw",
      "/mnt/my disk ext4 rw",
      "/data xfs rw",
      "/mnt/nfs nfs4 rw",
      "/mnt/over tmpfs rw",
      "/var/lib/db ext4 ro",
    ]);
  });

  it("excludes nothing when the lists are empty", () => {
    const all = compileFilters({ filesystemTypesExclude: "", mountPointsExclude: "" });
    const selected = selectMounts(parseMountinfo(odd("proc/1/mountinfo")), { excludeTypes: all.fsTypes, excludeMountPoints: all.mountPoints });
    expect(selected.map((m) => m.mountPoint)).toContain("/proc");
  });

  it("rejects an invalid expression with the option's name", () => {
    expect(() => compileFilters({ mountPointsExclude: "^(/dev" })).toThrow(/mountPointsExclude/);
  });

  it("turns statfs into used, free (available) and reserved bytes that sum to the limit", () => {
    const mount = { mountPoint: "/", device: "/dev/sda1", fsType: "ext4", readOnly: false };
    const [usage, limit] = filesystemMetrics([{ mount, space: { bsize: 4096, blocks: 1000, bfree: 300, bavail: 250 } }]);
    expect(usage!.points.map((p) => [p.attributes!["system.filesystem.state"], p.value / 4096])).toEqual([
      ["used", 700],
      ["free", 250],
      ["reserved", 50],
    ]);
    expect(limit!.points[0]).toEqual({
      attributes: { "system.device": "/dev/sda1", "system.filesystem.type": "ext4", "system.filesystem.mode": "rw", "system.filesystem.mountpoint": "/" },
      value: 4096_000,
    });
    expect(filesystemMetrics([{ mount, space: { bsize: 4096, blocks: 0, bfree: 0, bavail: 0 } }])).toEqual([]);
  });
});

describe("temperature sensors", () => {
  const chip = (dir: string) => {
    const full = path.join(FIXTURES, "sensors-odd/sys/class/hwmon", dir);
    return { dir: full, files: ["temp1_input", "temp1_label", "temp1_crit", "temp1_max", "temp2_input", "temp2_crit_alarm"], read: (f: string) => readFileSync(path.join(full, f), "utf8") };
  };

  it("finds each tempN_input with its label and thresholds", () => {
    const sensors = hwmonSensors({ ...chip("hwmon0"), chip: "coretemp" });
    expect(sensors.map(({ id, name, parent, limits }) => ({ id, name, parent, limits }))).toEqual([
      { id: "coretemp_temp1", name: "Package id 0", parent: "coretemp", limits: [{ type: "high.critical", celsius: 100 }, { type: "high.degraded", celsius: 84 }] },
      { id: "coretemp_temp2", name: "temp2", parent: "coretemp", limits: [] },
    ]);
  });

  it("makes repeated chip names unique", () => {
    expect(chipIds([{ dir: "/x/hwmon0", name: "coretemp" }, { dir: "/x/hwmon1", name: "nvme" }, { dir: "/x/hwmon2", name: "nvme" }, { dir: "/x/hwmon3", name: undefined }])).toEqual([
      "coretemp",
      "nvme_hwmon1",
      "nvme_hwmon2",
      "hwmon3",
    ]);
  });

  it("reads millidegrees and refuses empty readings", () => {
    expect(parseMillidegrees("38850\n")).toBe(38.85);
    expect(parseMillidegrees("\n")).toBeUndefined();
    expect(parseMillidegrees(undefined)).toBeUndefined();
  });

  it("emits hw.temperature with hw.id and the limits separately", () => {
    const [sensor] = hwmonSensors({ ...chip("hwmon0"), chip: "coretemp" });
    const [temp, limit] = temperatureMetrics([{ sensor: sensor!, celsius: 52 }]);
    expect(temp).toMatchObject({ name: METRIC.temperature, unit: "Cel", points: [{ attributes: { "hw.id": "coretemp_temp1", "hw.name": "Package id 0", "hw.type": "temperature" }, value: 52 }] });
    expect(limit!.points.map((p) => p.attributes!["hw.limit_type"])).toEqual(["high.critical", "high.degraded"]);
  });
});

describe("static facts", () => {
  it("reads the OS description, CPU model and maps the architecture", () => {
    expect(parseOsRelease(real("etc/os-release"))).toMatch(/^Debian GNU\/Linux 12/);
    expect(parseOsRelease('NAME="Alpine Linux"\nVERSION="3.19"\n')).toBe("Alpine Linux 3.19");
    expect(parseCpuModel(real("proc/cpuinfo"))).toBe("AMD EPYC");
    expect(parseCpuModel("Hardware\t: BCM2835\nModel\t: Raspberry Pi 4 Model B Rev 1.4\n")).toBe("Raspberry Pi 4 Model B Rev 1.4");
    expect(hostArch("x64")).toBe("amd64");
  });
});
