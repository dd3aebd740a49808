import { readdirSync, readFileSync, statfs } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Metric } from "../../protocol/index.js";
import { cpuMetrics, parseProcStat } from "./cpu.js";
import { diskMetrics, parseDiskstats } from "./disks.js";
import { factAttributes, hostArch, parseCpuModel, parseOsRelease } from "./facts.js";
import { filesystemMetrics, parseMountinfo, parseProcMounts, selectMounts, type FsSpace, type Mount } from "./filesystems.js";
import { memoryMetrics, parseMeminfo } from "./memory.js";
import { networkMetrics, parseNetDev } from "./network.js";
import type { CompiledFilters } from "./options.js";
import { chipIds, hwmonSensors, parseMillidegrees, temperatureMetrics, type Sensor } from "./sensors.js";
import { parseLoadavg, parseUptime, systemMetrics } from "./system.js";

/** Sensors are looked for again every this many cycles (a driver loaded late, a disk plugged in). */
const SENSOR_DISCOVERY_EVERY = 100;

/** The mount tables tried in order: the host's init first, so a containerized agent sees the host's mounts. */
const MOUNT_TABLES: [string, (text: string) => Mount[]][] = [
  ["proc/1/mountinfo", parseMountinfo],
  ["proc/self/mountinfo", parseMountinfo],
  ["proc/mounts", parseProcMounts],
];

/**
 * The Linux edge: reads `/proc`, `/sys` and `statfs` under a host root and hands the text to
 * the pure parsers. `/proc` and `/sys` files are read synchronously (they live in memory and
 * one synchronous read is several times cheaper than a promise round trip); `statfs` is
 * asynchronous because a network filesystem can hang, and a mount whose previous `statfs` has
 * not returned yet is skipped rather than piled up.
 */
export class LinuxHost {
  private readonly stuck = new Set<string>();
  private sensors: Sensor[] | undefined;
  private cycles = 0;
  private mountTable = 0;

  constructor(
    private readonly root: string,
    private readonly filters: CompiledFilters,
  ) {}

  /** Mount points whose `statfs` has not answered (reported so a hung NFS mount is visible). */
  get stuckMounts(): string[] {
    return [...this.stuck];
  }

  /** Static facts from the host's own files (not the container's): OS, kernel, CPU model. */
  facts(): Record<string, string> {
    return factAttributes({
      arch: hostArch(os.arch()),
      osType: "linux",
      osDescription: parseOsRelease(this.read("etc/os-release") ?? this.read("usr/lib/os-release") ?? ""),
      osVersion: this.read("proc/sys/kernel/osrelease")?.trim(),
      cpuModel: parseCpuModel(this.read("proc/cpuinfo") ?? ""),
    });
  }

  async sample(): Promise<Metric[]> {
    const stat = parseProcStat(readFileSync(this.path("proc/stat"), "utf8"));
    const meminfo = parseMeminfo(readFileSync(this.path("proc/meminfo"), "utf8"));
    const load = parseLoadavg(this.read("proc/loadavg") ?? "");
    const uptime = parseUptime(this.read("proc/uptime") ?? "");
    const diskstats = this.read("proc/diskstats");
    const netdev = this.read("proc/net/dev");
    const mounts = selectMounts(this.readMounts(), { excludeTypes: this.filters.fsTypes, excludeMountPoints: this.filters.mountPoints });
    const temperatures = this.readTemperatures();
    const filesystems = await this.statfsAll(mounts);
    return [
      ...cpuMetrics(stat.cpus),
      ...systemMetrics(load, uptime, stat.bootTime),
      ...memoryMetrics(meminfo),
      ...filesystemMetrics(filesystems),
      ...(diskstats === undefined ? [] : diskMetrics(parseDiskstats(diskstats, this.filters.disks))),
      ...(netdev === undefined ? [] : networkMetrics(parseNetDev(netdev, this.filters.interfaces))),
      ...temperatureMetrics(temperatures),
    ];
  }

  private path(relative: string): string {
    return path.join(this.root, relative);
  }

  /** A file that may be missing or unreadable on some hosts: undefined then. */
  private read(relative: string): string | undefined {
    return readOrUndefined(this.path(relative));
  }

  private readMounts(): Mount[] {
    for (let i = this.mountTable; i < MOUNT_TABLES.length; i++) {
      const [file, parse] = MOUNT_TABLES[i] as (typeof MOUNT_TABLES)[number];
      const text = this.read(file);
      if (text !== undefined) {
        this.mountTable = i;
        return parse(text);
      }
    }
    return [];
  }

  private statfsAll(mounts: Mount[]): Promise<{ mount: Mount; space: FsSpace }[]> {
    const one = (mount: Mount) =>
      new Promise<{ mount: Mount; space: FsSpace } | undefined>((resolve) => {
        const target = this.path(mount.mountPoint);
        if (this.stuck.has(target)) return resolve(undefined);
        this.stuck.add(target);
        statfs(target, (err, s) => {
          this.stuck.delete(target);
          resolve(err ? undefined : { mount, space: s });
        });
      });
    return Promise.all(mounts.map(one)).then((all) => all.filter((x) => x !== undefined));
  }

  private readTemperatures(): { sensor: Sensor; celsius: number }[] {
    if (this.sensors === undefined || this.cycles++ % SENSOR_DISCOVERY_EVERY === 0) this.sensors = this.discoverSensors();
    const out = [];
    for (const sensor of this.sensors) {
      const celsius = parseMillidegrees(readOrUndefined(sensor.input));
      if (celsius !== undefined) out.push({ sensor, celsius });
    }
    return out;
  }

  private discoverSensors(): Sensor[] {
    const hwmon = this.path("sys/class/hwmon");
    const chips = list(hwmon)
      .filter((d) => d.startsWith("hwmon"))
      .sort((a, b) => a.localeCompare(b, "en", { numeric: true }))
      .map((d) => {
        let dir = path.join(hwmon, d);
        let files = list(dir);
        // Older drivers keep the attributes in the device directory.
        if (!files.some((f) => f.endsWith("_input")) && files.includes("device")) {
          dir = path.join(dir, "device");
          files = list(dir);
        }
        const name = readOrUndefined(path.join(hwmon, d, "name")) ?? readOrUndefined(path.join(dir, "name"));
        return { hwmonDir: path.join(hwmon, d), dir, files, name: name?.trim() };
      });
    const ids = chipIds(chips.map((c) => ({ dir: c.hwmonDir, name: c.name })));
    const sensors = chips.flatMap((c, i) =>
      hwmonSensors({ dir: c.dir, chip: ids[i] as string, files: c.files, read: (f) => readOrUndefined(path.join(c.dir, f)) }),
    );
    const thermal = this.path("sys/class/thermal");
    for (const zone of list(thermal).filter((d) => d.startsWith("thermal_zone"))) {
      const dir = path.join(thermal, zone);
      sensors.push({ id: zone, name: readOrUndefined(path.join(dir, "type"))?.trim() || zone, parent: "thermal", input: path.join(dir, "temp"), limits: [] });
    }
    return sensors;
  }
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}
