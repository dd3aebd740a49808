/**
 * Pure parsers for the cgroup files a container's numbers come from, v1 and v2 alike, and the
 * shape they are normalized into. No I/O here: `reader.ts` reads the files.
 */

import { parseNetDev as parseHostNetDev, type InterfaceStats } from "../host/network.js";

/** What one container's cgroup says, in base units (seconds, bytes, counts). */
export interface ContainerStats {
  cpu: {
    totalSeconds: number;
    userSeconds?: number;
    systemSeconds?: number;
    periods?: number;
    throttledPeriods?: number;
    throttledSeconds?: number;
  };
  memory: {
    usage: number;
    /** usage − inactive file pages: what the kernel cannot easily reclaim (cAdvisor's and kubelet's definition). */
    workingSet: number;
    /** Undefined when the container has no limit. */
    limit?: number;
    cache?: number;
    rss?: number;
    oomKills?: number;
  };
  blkio: BlkioDevice[];
  pids?: number;
  /** Undefined when the container shares another network namespace (host networking). */
  network?: InterfaceStats[];
}

export interface BlkioDevice {
  /** `major:minor`. */
  device: string;
  readBytes: number;
  writeBytes: number;
  readOps: number;
  writeOps: number;
}


/** USER_HZ, the unit of cpuacct.stat. 100 on every Linux architecture Vigie runs on. */
const USER_HZ = 100;
/** cgroup v1 writes "no limit" as the largest page-aligned int64 (9223372036854771712). */
const V1_UNLIMITED = 2 ** 60;

/** `/proc/<pid>/cgroup`: the v2 path (`0::/…`) and the v1 path per controller. */
export interface ProcCgroup {
  unified?: string;
  v1: Map<string, string>;
}

export function parseProcCgroup(text: string): ProcCgroup {
  const out: ProcCgroup = { v1: new Map() };
  for (const line of text.split("\n")) {
    const first = line.indexOf(":");
    const second = line.indexOf(":", first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (line.slice(0, first) === "0" && controllers === "") out.unified = path;
    else for (const c of controllers.split(",")) if (c) out.v1.set(c, path);
  }
  return out;
}

/** `key value` lines (cpu.stat, memory.stat, cpuacct.stat, memory.events, memory.oom_control). */
export function parseKeyValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const sp = line.indexOf(" ");
    if (sp <= 0) continue;
    const v = Number(line.slice(sp + 1));
    if (Number.isFinite(v)) out.set(line.slice(0, sp), v);
  }
  return out;
}

/**
 * One key of a `key value` file, found without splitting the file: memory.stat has ~40 lines
 * and a cycle needs three or four of them.
 */
export function keyValue(text: string, key: string): number | undefined {
  let i = text.startsWith(`${key} `) ? 0 : text.indexOf(`\n${key} `);
  if (i < 0) return undefined;
  if (i > 0 || text[0] === "\n") i++;
  const start = i + key.length + 1;
  let end = text.indexOf("\n", start);
  if (end < 0) end = text.length;
  const v = Number(text.slice(start, end));
  return Number.isFinite(v) ? v : undefined;
}

/** A single-number file; `max` (v2) and v1's huge "unlimited" become undefined. */
export function parseLimit(text: string): number | undefined {
  const t = text.trim();
  if (t === "max" || t === "") return undefined;
  const v = Number(t);
  return Number.isFinite(v) && v < V1_UNLIMITED ? v : undefined;
}

export function parseNumber(text: string): number {
  const v = Number(text.trim());
  if (!Number.isFinite(v)) throw new Error(`not a number: ${JSON.stringify(text.slice(0, 40))}`);
  return v;
}

/** v1 `blkio.throttle.io_service_bytes_recursive` + `…io_serviced_recursive` (`8:0 Read 4096` lines). */
export function parseV1Blkio(bytesText: string, opsText: string | undefined): BlkioDevice[] {
  const devices = new Map<string, BlkioDevice>();
  const get = (device: string) => {
    let d = devices.get(device);
    if (!d) devices.set(device, (d = { device, readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0 }));
    return d;
  };
  const scan = (text: string, bytes: boolean) => {
    for (const line of text.split("\n")) {
      const [device, op, value] = line.split(" ");
      if (!device || !op || value === undefined || !device.includes(":")) continue;
      const v = Number(value);
      if (op === "Read") get(device)[bytes ? "readBytes" : "readOps"] += v;
      else if (op === "Write") get(device)[bytes ? "writeBytes" : "writeOps"] += v;
    }
  };
  scan(bytesText, true);
  if (opsText) scan(opsText, false);
  return [...devices.values()];
}

/** v2 `io.stat`: `8:0 rbytes=… wbytes=… rios=… wios=… dbytes=… dios=…`. */
export function parseV2IoStat(text: string): BlkioDevice[] {
  const out: BlkioDevice[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(" ");
    const device = fields[0];
    if (!device || !device.includes(":")) continue;
    const d: BlkioDevice = { device, readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0 };
    for (const f of fields.slice(1)) {
      const eq = f.indexOf("=");
      const v = Number(f.slice(eq + 1));
      switch (f.slice(0, eq)) {
        case "rbytes": d.readBytes = v; break;
        case "wbytes": d.writeBytes = v; break;
        case "rios": d.readOps = v; break;
        case "wios": d.writeOps = v; break;
      }
    }
    out.push(d);
  }
  return out;
}

/** A container's `/proc/<pid>/net/dev`: the host's parser, loopback left out (it never leaves the container). */
export function parseNetDev(text: string): InterfaceStats[] {
  return parseHostNetDev(text, LOOPBACK);
}

const LOOPBACK = /^lo$/;

/** The text of the files of one container's v1 cgroup (undefined: the file is not there). */
export interface V1Files {
  cpuacctUsage: string;
  cpuacctStat?: string;
  cpuStat?: string;
  memoryUsage: string;
  memoryLimit?: string;
  memoryStat?: string;
  memoryOomControl?: string;
  blkioBytes?: string;
  blkioOps?: string;
  pidsCurrent?: string;
}

export function statsFromV1(files: V1Files): Omit<ContainerStats, "network"> {
  const cpuacct = lookup(files.cpuacctStat);
  const cpuStat = lookup(files.cpuStat);
  const mem = lookup(files.memoryStat);
  const usage = parseNumber(files.memoryUsage);
  const inactiveFile = mem.get("total_inactive_file") ?? mem.get("inactive_file") ?? 0;
  const throttledNs = cpuStat.get("throttled_time");
  return {
    cpu: {
      totalSeconds: parseNumber(files.cpuacctUsage) / 1e9,
      userSeconds: ticks(cpuacct.get("user")),
      systemSeconds: ticks(cpuacct.get("system")),
      periods: cpuStat.get("nr_periods"),
      throttledPeriods: cpuStat.get("nr_throttled"),
      throttledSeconds: throttledNs === undefined ? undefined : throttledNs / 1e9,
    },
    memory: {
      usage,
      workingSet: Math.max(0, usage - inactiveFile),
      // memory.stat's hierarchical limit is the one in force (the tightest up the tree), and saves a read.
      limit: limitOf(mem.get("hierarchical_memory_limit"), files.memoryLimit),
      cache: mem.get("total_cache") ?? mem.get("cache"),
      rss: mem.get("total_rss") ?? mem.get("rss"),
      oomKills: lookup(files.memoryOomControl).get("oom_kill"),
    },
    blkio: files.blkioBytes ? parseV1Blkio(files.blkioBytes, files.blkioOps) : [],
    pids: files.pidsCurrent === undefined ? undefined : parseNumber(files.pidsCurrent),
  };
}

/** The text of the files of one container's v2 cgroup. */
export interface V2Files {
  cpuStat: string;
  memoryCurrent: string;
  memoryMax?: string;
  memoryStat?: string;
  memoryEvents?: string;
  ioStat?: string;
  pidsCurrent?: string;
}

export function statsFromV2(files: V2Files): Omit<ContainerStats, "network"> {
  const cpu = lookup(files.cpuStat);
  const mem = lookup(files.memoryStat);
  const usage = parseNumber(files.memoryCurrent);
  const usec = (k: string) => {
    const v = cpu.get(k);
    return v === undefined ? undefined : v / 1e6;
  };
  return {
    cpu: {
      totalSeconds: usec("usage_usec") ?? 0,
      userSeconds: usec("user_usec"),
      systemSeconds: usec("system_usec"),
      periods: cpu.get("nr_periods"),
      throttledPeriods: cpu.get("nr_throttled"),
      throttledSeconds: usec("throttled_usec"),
    },
    memory: {
      usage,
      workingSet: Math.max(0, usage - (mem.get("inactive_file") ?? 0)),
      limit: files.memoryMax === undefined ? undefined : parseLimit(files.memoryMax),
      cache: mem.get("file"),
      rss: mem.get("anon"),
      oomKills: lookup(files.memoryEvents).get("oom_kill"),
    },
    blkio: files.ioStat ? parseV2IoStat(files.ioStat) : [],
    pids: files.pidsCurrent === undefined ? undefined : parseNumber(files.pidsCurrent),
  };
}

/** Key lookups into a `key value` file that may be absent. */
function lookup(text: string | undefined): { get(key: string): number | undefined } {
  return { get: (key) => (text === undefined ? undefined : keyValue(text, key)) };
}

function limitOf(hierarchical: number | undefined, file: string | undefined): number | undefined {
  if (hierarchical !== undefined) return hierarchical < V1_UNLIMITED ? hierarchical : undefined;
  return file === undefined ? undefined : parseLimit(file);
}

function ticks(v: number | undefined): number | undefined {
  return v === undefined ? undefined : v / USER_HZ;
}
