import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import path from "node:path";
import { parseNetDev, statsFromV1, statsFromV2, type ContainerStats } from "./cgroup.js";
import type { ContainerCgroup } from "./layout.js";

/** cgroup and /proc pseudo-files are small (memory.stat ~1.5 KB); one buffer serves every read. */
const BUFFER = Buffer.allocUnsafe(64 * 1024);

/**
 * The files of one container, kept open between cycles and read again from offset 0 with one
 * `pread` each: ~5 µs per file here against ~20 µs for readFileSync's open/fstat/read/close
 * (and fs.promises is slower still, reference/perf-baselines.md). A cgroup that was removed
 * answers ENODEV, which says the container is gone. `close()` when the container is forgotten.
 */
export class ContainerFiles {
  /** fd per file name (unique within one container); null when the file does not exist (not looked for again). */
  private readonly fds = new Map<string, number | null>();

  /** The text of `dir/name`, or undefined when it does not exist (or no longer does). */
  read(dir: string, name: string): string | undefined {
    let fd = this.fds.get(name);
    if (fd === null) return undefined;
    const file = fd === undefined ? path.join(dir, name) : "";
    if (fd === undefined) {
      try {
        fd = openSync(file, "r");
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EMFILE" || code === "ENFILE") return readUncached(file); // out of descriptors: the slow way
        if (isMissing(err)) {
          this.fds.set(name, null);
          return undefined;
        }
        throw err;
      }
      this.fds.set(name, fd);
    }
    try {
      const n = readSync(fd, BUFFER, 0, BUFFER.length, 0);
      return n < BUFFER.length ? BUFFER.toString("latin1", 0, n) : readFileSync(path.join(dir, name), "latin1");
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
  }

  close(): void {
    for (const fd of this.fds.values()) if (fd !== null) closeSync(fd);
    this.fds.clear();
  }
}

/**
 * Reads one container's cgroup files (and its network namespace's `net/dev` when it has its
 * own). Synchronous on purpose: for a few dozen pseudo-files per cycle a blocking read costs
 * less than the promise machinery around an asynchronous one.
 * Returns undefined when the cgroup is gone (the container stopped since it was listed).
 */
export function readContainerStats(cgroup: ContainerCgroup, netDevFile: string | undefined, files?: ContainerFiles): ContainerStats | undefined {
  const open = files ?? new ContainerFiles();
  try {
    const stats = cgroup.version === 2 ? readV2(cgroup.dir, open) : readV1(cgroup.dirs, open);
    if (!stats) return undefined;
    if (netDevFile === undefined) return stats;
    const netDev = open.read(path.dirname(netDevFile), path.basename(netDevFile));
    return { ...stats, network: netDev === undefined ? undefined : parseNetDev(netDev) };
  } finally {
    if (!files) open.close();
  }
}

function readV1(dirs: Extract<ContainerCgroup, { version: 1 }>["dirs"], files: ContainerFiles): Omit<ContainerStats, "network"> | undefined {
  const f = (dir: string | undefined, file: string) => (dir === undefined ? undefined : files.read(dir, file));
  const cpuacctUsage = f(dirs.cpuacct, "cpuacct.usage");
  const memoryUsage = f(dirs.memory, "memory.usage_in_bytes");
  if (cpuacctUsage === undefined || memoryUsage === undefined) return undefined;
  return statsFromV1({
    cpuacctUsage,
    cpuacctStat: f(dirs.cpuacct, "cpuacct.stat"),
    cpuStat: f(dirs.cpu, "cpu.stat"),
    memoryUsage,
    memoryStat: f(dirs.memory, "memory.stat"),
    memoryOomControl: f(dirs.memory, "memory.oom_control"),
    // The throttle counters see every request at the block layer, whatever the I/O scheduler
    // (the blkio.io_* ones exist only under CFQ/BFQ).
    blkioBytes: f(dirs.blkio, "blkio.throttle.io_service_bytes_recursive"),
    blkioOps: f(dirs.blkio, "blkio.throttle.io_serviced_recursive"),
    pidsCurrent: f(dirs.pids, "pids.current"),
  });
}

function readV2(dir: string, files: ContainerFiles): Omit<ContainerStats, "network"> | undefined {
  const f = (file: string) => files.read(dir, file);
  const cpuStat = f("cpu.stat");
  const memoryCurrent = f("memory.current");
  if (cpuStat === undefined || memoryCurrent === undefined) return undefined;
  return statsFromV2({
    cpuStat,
    memoryCurrent,
    memoryMax: f("memory.max"),
    memoryStat: f("memory.stat"),
    memoryEvents: f("memory.events"),
    ioStat: f("io.stat"),
    pidsCurrent: f("pids.current"),
  });
}

function readUncached(file: string): string | undefined {
  try {
    return readFileSync(file, "latin1");
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

/** ENOENT, or ENODEV/ESRCH for a cgroup or process that is being torn down. */
function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENODEV" || code === "ESRCH" || code === "ENOTDIR";
}
