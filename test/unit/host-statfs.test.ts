import path from "node:path";
import { describe, expect, it } from "vitest";
import { LinuxHost, type FsPort } from "../../agent/host/linux.js";
import { compileFilters } from "../../agent/host/options.js";
import type { FsSpace } from "../../agent/host/filesystems.js";
import { METRIC, type Metric } from "../../protocol/index.js";

// debian12-vm selects two filesystems: `/` and `/mnt/tools`.
const ROOT = path.join(import.meta.dirname, "../fixtures/host/debian12-vm");
const SPACE: FsSpace = { bsize: 4096, blocks: 100, bfree: 40, bavail: 30 };

/** A filesystem port whose statfs can hang per mount point, and whose device numbers are given per path. */
function fakeFs(devs: Record<string, bigint> = {}) {
  const hung = new Set<string>();
  const waiting = new Map<string, () => void>();
  const calls: string[] = [];
  const fs: FsPort = {
    statfs(p, callback) {
      const mountPoint = "/" + path.relative(ROOT, p);
      calls.push(mountPoint);
      if (hung.has(mountPoint)) waiting.set(mountPoint, () => callback(null, SPACE));
      else callback(null, SPACE);
    },
    dev(p, callback) {
      const rel = "/" + path.relative(ROOT, p);
      callback(null, devs[rel] ?? BigInt(rel.length));
    },
  };
  return { fs, hung, waiting, calls };
}

const errors = (metrics: Metric[]): Record<string, number> =>
  Object.fromEntries(metrics.find((m) => m.name === METRIC.filesystemError)!.points.map((p) => [String(p.attributes!["system.filesystem.mountpoint"]), p.value] as const));

describe("LinuxHost statfs", () => {
  it("reports a hung statfs as an error, does not call it again while it hangs, and measures again once it returns", async () => {
    const fake = fakeFs();
    fake.hung.add("/");
    const host = new LinuxHost(ROOT, compileFilters(), { fs: fake.fs, statfsTimeoutMs: 5 });
    expect(errors(await host.sample())).toEqual({ "/": 1, "/mnt/tools": 0 });
    expect(errors(await host.sample())).toEqual({ "/": 1, "/mnt/tools": 0 });
    expect(fake.calls.filter((c) => c === "/")).toHaveLength(1);
    fake.hung.delete("/");
    fake.waiting.get("/")!();
    const metrics = await host.sample();
    expect(errors(metrics)).toEqual({ "/": 0, "/mnt/tools": 0 });
    expect(metrics.find((m) => m.name === METRIC.filesystemLimit)!.points.map((p) => p.value)).toEqual([409600, 409600]);
  });

  it("does not statfs a mount point whose directory is on its parent's filesystem", async () => {
    const fake = fakeFs({ "/mnt/tools": 7n, "/mnt": 7n });
    const host = new LinuxHost(ROOT, compileFilters(), { fs: fake.fs });
    expect(errors(await host.sample())).toEqual({ "/": 0, "/mnt/tools": 1 });
    expect(fake.calls).toEqual(["/"]);
  });
});
