import { readdirSync, readFileSync, stat, statfs, statfsSync, statSync } from "node:fs";
import { OpenFiles } from "../../lib/index.js";
import os from "node:os";
import path from "node:path";
import { METRIC, NETSTAT_FIELDS, SOCKSTAT_FIELDS, VMSTAT_FIELDS, type Metric } from "../../protocol/index.js";
import { cpuMetrics, parseProcStat } from "./cpu.js";
import { diskMetrics, parseDiskstats } from "./disks.js";
import { factAttributes, hostArch, parseCpuModel, parseOsRelease } from "./facts.js";
import { filesystemMetrics, parseMountinfo, parseProcMounts, selectMounts, type FsSpace, type Mount } from "./filesystems.js";
import { fieldMetric, kernelMetrics, parseFileNr, parseKeyValues, parseNumber, parsePressure, parseProtoTable, parseSnmp6, parseSockstat, statMetrics } from "./kernel.js";
import { memoryFieldMetrics, memoryMetrics, parseMeminfo } from "./memory.js";
import { linkMetrics, networkMetrics, parseNetDev, type InterfaceLink } from "./network.js";
import type { CompiledFilters } from "./options.js";
import { chipIds, hwmonSensors, parseMillidegrees, temperatureMetrics, type Sensor } from "./sensors.js";
import { parseLoadavg, parseUptime, systemMetrics } from "./system.js";

/** Sensors are looked for again every this many cycles (a driver loaded late, a disk plugged in). */
const SENSOR_DISCOVERY_EVERY = 100;

/**
 * The mount table is read again at least every this many cycles, so a new mount shows up. In
 * between, each reported mount's device number is checked against the table's before its statfs
 * (one stat, against reading and parsing a table that Docker's overlay mounts make long:
 * ~0.75 ms of kernel time per read with 50 containers), so a mount gone or mounted over is seen
 * in the cycle it happens.
 */
const MOUNT_TABLE_EVERY = 6;

/** How long a statfs may take before its filesystem is reported as an error for this cycle. */
const STATFS_TIMEOUT_MS = 1000;

/** The two filesystem calls made per mount and cycle, asynchronous because a network filesystem can hang. */
export interface FsPort {
  statfs(path: string, callback: (err: Error | null, space: FsSpace) => void): void;
  /** The device number (`st_dev`) of a path. */
  dev(path: string, callback: (err: Error | null, dev: bigint) => void): void;
  /** The same, blocking: used for local filesystems only (they answer at once; a network one may hang). */
  statfsSync?: (path: string) => FsSpace;
  devSync?: (path: string) => bigint;
}

const nodeFs: FsPort = {
  statfs: (p, callback) => statfs(p, callback),
  dev: (p, callback) => stat(p, { bigint: true }, (err, s) => callback(err, s?.dev ?? -1n)),
  statfsSync: (p) => statfsSync(p),
  devSync: (p) => statSync(p, { bigint: true }).dev,
};

/**
 * Filesystems kept on local storage or in memory: their statfs reads counters in the superblock
 * and never waits on a network, so it runs in line — a trip through the thread pool per
 * filesystem per cycle cost more than the call. Anything else (NFS, CIFS, FUSE, Ceph, 9p, …)
 * goes through the pool with a timeout.
 */
const LOCAL_FS_TYPES = new Set([
  "ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "jfs", "reiserfs", "bcachefs", "nilfs2",
  "vfat", "exfat", "ntfs", "ntfs3", "hfsplus", "udf", "iso9660", "squashfs", "erofs",
  "tmpfs", "ramfs", "overlay",
]);

export interface LinuxHostOptions {
  /** Default 1 s. */
  statfsTimeoutMs?: number;
  fs?: FsPort;
  /** The clock `node_time_seconds` reads, in ms since the epoch. Default Date.now. */
  now?: () => number;
}

/** Fields wanted from a file, as [name sent, key in the file] (the same here). */
const same = (fields: readonly string[]) => fields.map((f) => [f, f] as const);
const VMSTAT = same(VMSTAT_FIELDS);
const NETSTAT = same(NETSTAT_FIELDS);
const SOCKSTAT = same(SOCKSTAT_FIELDS);
const PRESSURE_RESOURCES = ["cpu", "memory", "io"] as const;

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
 * asynchronous and bounded by a timeout, and a mount whose previous call has not returned is
 * skipped rather than piled up, so a hung network filesystem costs one error point, not a cycle.
 */
export class LinuxHost {
  private readonly pending = new Set<string>();
  private sensors: Sensor[] | undefined;
  private cycles = 0;
  private mountTable = 0;
  /** The filesystems reported, as last selected from the mount table, and how many cycles ago. */
  private selected: Mount[] | undefined;
  private selectedAge = 0;
  /** The cached selection no longer matches the filesystems: read the table at the next cycle. */
  private mountsChanged = false;
  /** Mount points whose device number disagrees with the table even when it is fresh (not checked). */
  private readonly unverifiable = new Set<string>();
  private readonly fs: FsPort;
  /** The /proc files read every cycle, kept open. */
  private readonly files = new OpenFiles();
  private readonly statfsTimeoutMs: number;
  /** Under a host root other than `/`, a mount made after the agent started may not be visible. */
  private readonly verifyMounts: boolean;
  private readonly now: () => number;
  /** The `/sys/class/net` files read at the last cycle, closed when their interface is gone. */
  private linkFiles = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly filters: CompiledFilters,
    options: LinuxHostOptions = {},
  ) {
    this.fs = options.fs ?? nodeFs;
    this.statfsTimeoutMs = options.statfsTimeoutMs ?? STATFS_TIMEOUT_MS;
    this.verifyMounts = path.resolve(root) !== "/";
    this.now = options.now ?? Date.now;
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
    const stat = parseProcStat(this.required("proc/stat"));
    const meminfo = parseMeminfo(this.required("proc/meminfo"));
    const load = parseLoadavg(this.files.read(this.root, "proc/loadavg") ?? "");
    const uptime = parseUptime(this.files.read(this.root, "proc/uptime") ?? "");
    const diskstats = this.files.read(this.root, "proc/diskstats");
    // proc/net/dev is the reader's own network namespace; under a host root (the agent in a
    // container, maybe on an overlay network) the host's is that of its pid 1.
    const netdev = this.netFile("dev", "utf8");
    const interfaces = netdev === undefined ? [] : parseNetDev(netdev, this.filters.interfaces);
    const fresh = this.selected === undefined || this.mountsChanged || ++this.selectedAge >= MOUNT_TABLE_EVERY;
    if (fresh) {
      this.selected = selectMounts(this.readMounts(), { excludeTypes: this.filters.fsTypes, excludeMountPoints: this.filters.mountPoints });
      this.selectedAge = 0;
      this.mountsChanged = false;
    }
    const mounts = this.selected ?? [];
    const temperatures = this.readTemperatures();
    const filesystems = await Promise.all(mounts.map(async (mount) => ({ mount, space: await this.measure(mount, fresh) })));
    return [
      ...cpuMetrics(stat.cpus),
      ...systemMetrics(load, uptime, stat.bootTime),
      ...statMetrics(stat, this.now()),
      ...memoryMetrics(meminfo),
      ...memoryFieldMetrics(meminfo),
      ...filesystemMetrics(filesystems),
      ...(diskstats === undefined ? [] : diskMetrics(parseDiskstats(diskstats, this.filters.disks))),
      ...networkMetrics(interfaces),
      ...linkMetrics(this.readLinks(interfaces.map((i) => i.name))),
      ...temperatureMetrics(temperatures),
      ...this.kernelCounters(),
    ];
  }

  /**
   * vmstat, netstat, sockstat, file descriptors, entropy, conntrack and pressure: one read of
   * each file per cycle, kept open; a file the kernel lacks (no PSI, no conntrack module) is
   * simply not reported.
   */
  private kernelCounters(): Metric[] {
    const text = (relative: string) => this.files.read(this.root, relative);
    const netstat = new Map<string, number>();
    for (const [file, parse] of [["snmp", parseProtoTable], ["netstat", parseProtoTable], ["snmp6", parseSnmp6]] as const) {
      const t = this.netFile(file);
      if (t !== undefined) for (const [k, v] of parse(t)) netstat.set(k, v);
    }
    const sockstat = new Map<string, number>();
    for (const file of ["sockstat", "sockstat6"]) {
      const t = this.netFile(file);
      if (t !== undefined) for (const [k, v] of parseSockstat(t)) sockstat.set(k, v);
    }
    const vmstat = text("proc/vmstat");
    const fileNr = text("proc/sys/fs/file-nr");
    const pressure: [string, { some?: number; full?: number }][] = [];
    for (const resource of PRESSURE_RESOURCES) {
      const t = text(`proc/pressure/${resource}`);
      if (t !== undefined) pressure.push([resource, parsePressure(t)]);
    }
    return [
      ...(vmstat === undefined ? [] : fieldMetric(METRIC.vmstat, "counter", "1", parseKeyValues(vmstat), VMSTAT)),
      ...fieldMetric(METRIC.netstat, "gauge", "1", netstat, NETSTAT),
      ...fieldMetric(METRIC.sockstat, "gauge", "1", sockstat, SOCKSTAT),
      ...kernelMetrics({
        fileNr: fileNr === undefined ? undefined : parseFileNr(fileNr),
        entropyAvailable: parseNumber(text("proc/sys/kernel/random/entropy_avail")),
        entropyPoolSize: parseNumber(text("proc/sys/kernel/random/poolsize")),
        conntrackEntries: parseNumber(text("proc/sys/net/netfilter/nf_conntrack_count")),
        conntrackLimit: parseNumber(text("proc/sys/net/netfilter/nf_conntrack_max")),
        pressure,
      }),
    ];
  }

  /**
   * A file of `/proc/net`: that is the reader's own network namespace; under a host root (the
   * agent in a container, maybe on an overlay network) the host's is that of its pid 1.
   */
  private netFile(name: string, encoding: "latin1" | "utf8" = "latin1"): string | undefined {
    return (this.verifyMounts ? this.files.read(this.root, `proc/1/net/${name}`, encoding) : undefined) ?? this.files.read(this.root, `proc/net/${name}`, encoding);
  }

  /** `operstate` and `mtu` of the interfaces reported; the files of interfaces gone are closed. */
  private readLinks(names: string[]): InterfaceLink[] {
    const read = new Set<string>();
    const out: InterfaceLink[] = [];
    for (const name of names) {
      // Interface names cannot hold a slash or be . or ..; a hostile /proc/net/dev line could.
      if (name.includes("/") || name === "." || name === "..") continue;
      const file = (f: string) => {
        const relative = `sys/class/net/${name}/${f}`;
        read.add(relative);
        const t = this.files.read(this.root, relative);
        if (t === undefined) this.files.forget(relative); // an interface re-created later under this name
        return t;
      };
      out.push({ name, operstate: file("operstate")?.trim(), mtu: parseNumber(file("mtu")) });
    }
    for (const relative of this.linkFiles) if (!read.has(relative)) this.files.forget(relative);
    this.linkFiles = read;
    return out;
  }

  /** Closes the files kept open between cycles. */
  close(): void {
    this.files.close();
  }

  /** A file every Linux has: its absence is an error. */
  private required(relative: string): string {
    const text = this.files.read(this.root, relative);
    if (text === undefined) throw new Error(`${this.path(relative)} cannot be read`);
    return text;
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
      // Mount points may hold any bytes but the few the table escapes: read as UTF-8.
      const text = this.files.read(this.root, file, "utf8");
      if (text !== undefined) {
        this.mountTable = i;
        return parse(text);
      }
    }
    return [];
  }

  /**
   * statfs of a mount point under the host root; undefined when it fails, takes longer than the
   * timeout, is still pending from an earlier cycle, or — under a host root other than `/` —
   * the path is a plain directory of its parent's filesystem (the host mounted it after the
   * agent's bind mount was made, without propagation): statfs would measure the wrong filesystem.
   * Before that, the mount point's device number is compared with the table's: when the table
   * was not read this cycle, a difference means the mount is gone or mounted over — undefined
   * now, and the table is read at the next cycle.
   */
  private measure(mount: Mount, freshTable: boolean): Promise<FsSpace | undefined> {
    if (LOCAL_FS_TYPES.has(mount.fsType) && this.fs.statfsSync && this.fs.devSync) {
      return Promise.resolve(this.measureLocal(mount, freshTable, this.fs.statfsSync, this.fs.devSync));
    }
    const target = this.path(mount.mountPoint);
    if (this.pending.has(target)) return Promise.resolve(undefined);
    this.pending.add(target);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), this.statfsTimeoutMs);
      timer.unref();
      const done = (space: FsSpace | undefined) => {
        this.pending.delete(target);
        clearTimeout(timer);
        resolve(space);
      };
      const statfsNow = () => this.fs.statfs(target, (err, space) => done(err ? undefined : space));
      // Under another root, a mount point on its parent's filesystem is a plain directory.
      const parentCheck = this.verifyMounts && mount.mountPoint !== "/";
      const tableCheck = mount.deviceId !== undefined && !this.unverifiable.has(mount.mountPoint);
      if (!parentCheck && !tableCheck) return statfsNow();
      const underRoot = (dev: bigint) => {
        if (!parentCheck) return statfsNow();
        this.fs.dev(path.dirname(target), (err, parentDev) => (err || parentDev === dev ? done(undefined) : statfsNow()));
      };
      // One stat of the mount point serves both checks.
      this.fs.dev(target, (err, dev) => {
        if (!err && (!tableCheck || deviceId(dev) === mount.deviceId)) return underRoot(dev);
        if (!err && freshTable) {
          this.unverifiable.add(mount.mountPoint); // this filesystem's stat says otherwise than its table line
          return underRoot(dev);
        }
        if (!tableCheck) return done(undefined);
        this.mountsChanged = true;
        done(undefined);
      });
    });
  }

  /** `measure` for a local filesystem: the same checks, in line. */
  private measureLocal(mount: Mount, freshTable: boolean, statfsNow: (p: string) => FsSpace, devOf: (p: string) => bigint): FsSpace | undefined {
    const target = this.path(mount.mountPoint);
    const parentCheck = this.verifyMounts && mount.mountPoint !== "/";
    const tableCheck = mount.deviceId !== undefined && !this.unverifiable.has(mount.mountPoint);
    if (parentCheck || tableCheck) {
      let dev: bigint;
      try {
        dev = devOf(target);
      } catch {
        if (tableCheck) this.mountsChanged = true; // gone: read the table at the next cycle
        return undefined;
      }
      if (tableCheck && deviceId(dev) !== mount.deviceId) {
        if (!freshTable) {
          this.mountsChanged = true;
          return undefined;
        }
        this.unverifiable.add(mount.mountPoint); // this filesystem's stat says otherwise than its table line
      }
      // Under another root, a mount point on its parent's filesystem is a plain directory.
      if (parentCheck && attempt(() => devOf(path.dirname(target)) !== dev) !== true) return undefined;
    }
    return attempt(() => statfsNow(target));
  }

  private readTemperatures(): { sensor: Sensor; celsius: number }[] {
    if (this.cycles++ % SENSOR_DISCOVERY_EVERY === 0 || this.sensors === undefined) this.sensors = this.discoverSensors();
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

/** `st_dev` as the mount table writes it, `major:minor` (glibc's encoding of dev_t). */
export function deviceId(dev: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & 0xfffff000n);
  const minor = (dev & 0xffn) | ((dev >> 12n) & 0xffffff00n);
  return `${major}:${minor}`;
}

/** What `fn` returns, or undefined when it throws. */
function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
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
