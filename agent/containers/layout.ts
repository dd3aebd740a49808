import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { parseProcCgroup } from "./cgroup.js";

/** The v1 controllers Vigie reads. */
export const V1_CONTROLLERS = ["cpu", "cpuacct", "memory", "blkio", "pids"] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

/**
 * How the host mounts its cgroups: one unified v2 tree, or one v1 hierarchy per controller
 * (`/sys/fs/cgroup/memory`, `/sys/fs/cgroup/cpu,cpuacct`, …; hybrid hosts count as v1, since
 * their controllers live in the v1 hierarchies).
 */
export type CgroupLayout = { version: 2; root: string } | { version: 1; mounts: Partial<Record<V1Controller, string>> };

/** Where one container's cgroup files are. */
export type ContainerCgroup = { version: 2; dir: string } | { version: 1; dirs: Partial<Record<V1Controller, string>> & { cpuacct: string; memory: string } };

/** Reads the layout under `<hostRoot>/sys/fs/cgroup`; undefined when there are no cgroups there. */
export function detectLayout(hostRoot: string, isDir: (p: string) => boolean = isDirectory): CgroupLayout | undefined {
  const base = path.join(hostRoot, "sys/fs/cgroup");
  if (exists(path.join(base, "cgroup.controllers"))) return { version: 2, root: base };
  let entries: string[];
  try {
    entries = readdirSync(base);
  } catch {
    return undefined;
  }
  const mounts: Partial<Record<V1Controller, string>> = {};
  for (const entry of entries) {
    for (const c of entry.split(",")) {
      if ((V1_CONTROLLERS as readonly string[]).includes(c) && isDir(path.join(base, entry))) mounts[c as V1Controller] ??= path.join(base, entry);
    }
  }
  return mounts.memory && mounts.cpuacct ? { version: 1, mounts } : undefined;
}

/**
 * Candidate paths of a container's cgroup inside a hierarchy, best first: the one its main
 * process reports, then Docker's usual places (cgroupfs driver, systemd driver). The reported
 * path can be unusable: relative to another cgroup namespace (`/../…`), or from a process that
 * has already gone; the usual places catch those.
 */
export function candidatePaths(reported: string | undefined, containerId: string): string[] {
  const out: string[] = [];
  if (reported && reported !== "/") {
    if (!reported.split("/").includes("..")) out.push(reported);
    else out.push("/" + reported.split("/").filter((s) => s && s !== "..").join("/"));
  }
  out.push(`/docker/${containerId}`, `/system.slice/docker-${containerId}.scope`);
  return out;
}

/**
 * Finds a container's cgroup directories from its main process's `/proc/<pid>/cgroup` text
 * (undefined when it could not be read). `isDir` is the only I/O, injected for tests.
 */
export function resolveContainerCgroup(
  layout: CgroupLayout,
  procCgroup: string | undefined,
  containerId: string,
  isDir: (p: string) => boolean = isDirectory,
): ContainerCgroup | undefined {
  const parsed = procCgroup === undefined ? undefined : parseProcCgroup(procCgroup);
  const find = (mount: string, reported: string | undefined) =>
    candidatePaths(reported, containerId)
      .map((p) => path.join(mount, p))
      .find((p) => isDir(p));
  if (layout.version === 2) {
    const dir = find(layout.root, parsed?.unified);
    return dir ? { version: 2, dir } : undefined;
  }
  const dirs: Partial<Record<V1Controller, string>> = {};
  for (const c of V1_CONTROLLERS) {
    const mount = layout.mounts[c];
    if (mount) {
      const dir = find(mount, parsed?.v1.get(c));
      if (dir) dirs[c] = dir;
    }
  }
  const { cpuacct, memory } = dirs;
  return cpuacct && memory ? { version: 1, dirs: { ...dirs, cpuacct, memory } } : undefined;
}

function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}
