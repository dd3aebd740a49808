import { syncBuiltinESMExports } from "node:module";
import childProcess from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type Docker from "dockerode";

/**
 * Counts every way a child process can be started from this process, for as long as it is
 * installed: the module's functions are wrapped and the ESM named exports re-synced, so callers
 * using `import { spawn }` or `require("child_process")` alike go through the wrapper.
 */
export function countSpawns(): { count(): number; restore(): void } {
  const names = ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"] as const;
  const cp = childProcess as unknown as Record<string, (...args: unknown[]) => unknown>;
  const originals = new Map(names.map((n) => [n, cp[n]!]));
  let calls = 0;
  for (const n of names) {
    const original = originals.get(n)!;
    cp[n] = function (this: unknown, ...args: unknown[]) {
      calls++;
      return original.apply(this, args);
    };
  }
  syncBuiltinESMExports();
  return {
    count: () => calls,
    restore() {
      for (const n of names) cp[n] = originals.get(n)!;
      syncBuiltinESMExports();
    },
  };
}

/** Processes whose parent is `pid`, from /proc (what a fork that escaped the wrapper would leave). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return out;
}

/** utime + stime of a process in ms (10 ms resolution), from /proc/<pid>/stat. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15, in USER_HZ (100/s).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** VmRSS of a process in MB. */
export function processRssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2;
}

/**
 * Starts busybox `sleep` containers (network mode none, labelled `vigie.bench=<run>`, named
 * `vigie-bench-<run>-<i>`), ten at a time, until `started` holds `n` ids.
 */
export async function startBenchContainers(docker: Docker, image: string, run: string, started: string[], n: number): Promise<void> {
  while (started.length < n) {
    const batch = Array.from({ length: Math.min(10, n - started.length) }, async (_, i) => {
      const c = await docker.createContainer({
        name: `vigie-bench-${run}-${started.length + i}`,
        Image: image,
        Cmd: ["sleep", "3600"],
        Labels: { "vigie.bench": run },
        HostConfig: { NetworkMode: "none" },
      });
      await c.start();
      return c.id;
    });
    started.push(...(await Promise.all(batch)));
  }
}

/**
 * The pid of the engine `scripts/docker.sh` started (its own pid file), or of a dockerd started otherwise
 * (the engine's default pid file): the benches charge the engine's CPU next to the agent's.
 */
export function dockerdPid(): number {
  const files = [process.env.VIGIE_DOCKERD_PIDFILE ?? "/var/run/vigie-dockerd.pid", "/var/run/docker.pid"];
  for (const file of files) {
    if (!existsSync(file)) continue;
    const pid = Number(readFileSync(file, "utf8").trim());
    if (Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`)) return pid;
  }
  throw new Error(`no running dockerd found through ${files.join(" or ")}`);
}
