import path from "node:path";
import { loadedBytes, OpenFiles } from "../../lib/index.js";
import { KeySet, V1_UNLIMITED, limitFrom, parseDecimal, parseNetDev, scanKeyValues, scanV1Blkio, scanV2IoStat, type BlkioDevice, type ContainerStats } from "./cgroup.js";
import type { ContainerCgroup } from "./layout.js";

/**
 * Reads one container's cgroup files (and its network namespace's `net/dev` when it has its
 * own). Synchronous on purpose: for a few dozen pseudo-files per cycle a blocking read costs
 * less than the promise machinery around an asynchronous one. Each file is parsed from the
 * shared buffer as soon as it is read, without making strings of it.
 * Returns undefined when the cgroup is gone (the container stopped since it was listed).
 *
 * `previous` are the stats of the cycle before: with `oomKills: false`, the OOM kill count is
 * taken from them instead of read (it changes only with an `oom` event, which says to read it);
 * with `throttling: false`, so are the CFS period and throttling counters of a cgroup v1 (they
 * move only under a CPU quota; the engine says when a container's limits change).
 */
export function readContainerStats(
  cgroup: ContainerCgroup,
  netDevFile: string | undefined,
  files?: OpenFiles,
  options: { oomKills?: boolean; throttling?: boolean; previous?: ContainerStats } = {},
): ContainerStats | undefined {
  const open = files ?? new OpenFiles();
  const previous = options.previous;
  try {
    const readOom = options.oomKills !== false || previous?.memory.oomKills === undefined;
    const readThrottling = options.throttling !== false || previous === undefined;
    const stats = cgroup.version === 2 ? readV2(cgroup.dir, open, readOom) : readV1(cgroup.dirs, open, readOom, readThrottling);
    if (!stats) return undefined;
    if (!readOom) stats.memory.oomKills = previous?.memory.oomKills;
    if (!readThrottling && cgroup.version === 1 && previous) {
      stats.cpu.periods = previous.cpu.periods;
      stats.cpu.throttledPeriods = previous.cpu.throttledPeriods;
      stats.cpu.throttledSeconds = previous.cpu.throttledSeconds;
    }
    if (netDevFile === undefined) return stats;
    const netDev = open.read(path.dirname(netDevFile), path.basename(netDevFile));
    stats.network = netDev === undefined ? undefined : parseNetDev(netDev);
    return stats;
  } finally {
    if (!files) open.close();
  }
}

/** USER_HZ, the unit of cpuacct.stat. 100 on every Linux architecture Vigie runs on. */
const USER_HZ = 100;
/** Scratch space for the values of key-value files. */
const VALUES = new Float64Array(8);

const CPUACCT_STAT = new KeySet(["user", "system"]);
const V1_CPU_STAT = new KeySet(["nr_periods", "nr_throttled", "throttled_time"]);
const V1_MEMORY_STAT = new KeySet(["total_inactive_file", "inactive_file", "hierarchical_memory_limit", "total_cache", "cache", "total_rss", "rss"]);
const OOM_KILL = new KeySet(["oom_kill"]);
const V2_CPU_STAT = new KeySet(["usage_usec", "user_usec", "system_usec", "nr_periods", "nr_throttled", "throttled_usec"]);
const V2_MEMORY_STAT = new KeySet(["inactive_file", "file", "anon"]);

function readV1(dirs: Extract<ContainerCgroup, { version: 1 }>["dirs"], files: OpenFiles, readOom: boolean, readThrottling: boolean): ContainerStats | undefined {
  const load = (dir: string | undefined, file: string) => (dir === undefined ? -1 : files.load(dir, file));
  let n = load(dirs.cpuacct, "cpuacct.usage");
  if (n < 0) return undefined;
  const totalNs = parseDecimal(loadedBytes(), 0, n);
  n = load(dirs.memory, "memory.usage_in_bytes");
  if (n < 0) return undefined;
  const usage = parseDecimal(loadedBytes(), 0, n);

  const cpu: ContainerStats["cpu"] = { totalSeconds: totalNs / 1e9 };
  if (keyValues(load(dirs.cpuacct, "cpuacct.stat"), CPUACCT_STAT)) {
    cpu.userSeconds = defined(VALUES[0]) === undefined ? undefined : (VALUES[0] as number) / USER_HZ;
    cpu.systemSeconds = defined(VALUES[1]) === undefined ? undefined : (VALUES[1] as number) / USER_HZ;
  }
  if (readThrottling && keyValues(load(dirs.cpu, "cpu.stat"), V1_CPU_STAT)) {
    cpu.periods = defined(VALUES[0]);
    cpu.throttledPeriods = defined(VALUES[1]);
    cpu.throttledSeconds = defined(VALUES[2]) === undefined ? undefined : (VALUES[2] as number) / 1e9;
  }

  const memory: ContainerStats["memory"] = { usage, workingSet: usage };
  if (keyValues(load(dirs.memory, "memory.stat"), V1_MEMORY_STAT)) {
    memory.workingSet = Math.max(0, usage - (defined(VALUES[0]) ?? defined(VALUES[1]) ?? 0));
    // memory.stat's hierarchical limit is the one in force (the tightest up the tree), and saves a read.
    const hierarchical = defined(VALUES[2]);
    memory.limit = hierarchical === undefined ? undefined : hierarchical < V1_UNLIMITED ? hierarchical : undefined;
    memory.cache = defined(VALUES[3]) ?? defined(VALUES[4]);
    memory.rss = defined(VALUES[5]) ?? defined(VALUES[6]);
    if (hierarchical === undefined) memory.limit = loadLimit(load(dirs.memory, "memory.limit_in_bytes"));
  } else {
    memory.limit = loadLimit(load(dirs.memory, "memory.limit_in_bytes"));
  }
  if (readOom && keyValues(load(dirs.memory, "memory.oom_control"), OOM_KILL)) memory.oomKills = defined(VALUES[0]);

  // The throttle counters see every request at the block layer, whatever the I/O scheduler
  // (the blkio.io_* ones exist only under CFQ/BFQ).
  const blkio: BlkioDevice[] = [];
  if (dirs.blkio !== undefined) {
    n = files.load(dirs.blkio, "blkio.throttle.io_service_bytes_recursive");
    if (n >= 0) {
      scanV1Blkio(loadedBytes(), n, true, blkio);
      // Both files list the devices the cgroup has done I/O on: none in one, none in the other.
      n = blkio.length === 0 ? -1 : files.load(dirs.blkio, "blkio.throttle.io_serviced_recursive");
      if (n >= 0) scanV1Blkio(loadedBytes(), n, false, blkio);
    }
  }
  return { cpu, memory, blkio, pids: loadNumber(load(dirs.pids, "pids.current")) };
}

function readV2(dir: string, files: OpenFiles, readOom: boolean): ContainerStats | undefined {
  const load = (file: string) => files.load(dir, file);
  if (!keyValues(load("cpu.stat"), V2_CPU_STAT)) return undefined;
  const usec = (i: number) => (defined(VALUES[i]) === undefined ? undefined : (VALUES[i] as number) / 1e6);
  const cpu: ContainerStats["cpu"] = {
    totalSeconds: usec(0) ?? 0,
    userSeconds: usec(1),
    systemSeconds: usec(2),
    periods: defined(VALUES[3]),
    throttledPeriods: defined(VALUES[4]),
    throttledSeconds: usec(5),
  };
  const n = load("memory.current");
  if (n < 0) return undefined;
  const usage = parseDecimal(loadedBytes(), 0, n);
  const memory: ContainerStats["memory"] = { usage, workingSet: usage, limit: loadLimit(load("memory.max")) };
  if (keyValues(load("memory.stat"), V2_MEMORY_STAT)) {
    memory.workingSet = Math.max(0, usage - (defined(VALUES[0]) ?? 0));
    memory.cache = defined(VALUES[1]);
    memory.rss = defined(VALUES[2]);
  }
  if (readOom && keyValues(load("memory.events"), OOM_KILL)) memory.oomKills = defined(VALUES[0]);
  const io = load("io.stat");
  const blkio = io < 0 ? [] : scanV2IoStat(loadedBytes(), io);
  return { cpu, memory, blkio, pids: loadNumber(load("pids.current")) };
}

/** Scans the `n` bytes just loaded into VALUES; false when the file was missing. */
function keyValues(n: number, keys: KeySet): boolean {
  if (n < 0) return false;
  scanKeyValues(loadedBytes(), n, keys, VALUES);
  return true;
}

function loadLimit(n: number): number | undefined {
  return n < 0 ? undefined : limitFrom(loadedBytes(), n);
}

function loadNumber(n: number): number | undefined {
  return n < 0 ? undefined : defined(parseDecimal(loadedBytes(), 0, n));
}

/** NaN (not in the file, or not a number) as undefined. */
function defined(v: number | undefined): number | undefined {
  return v === undefined || Number.isNaN(v) ? undefined : v;
}
