import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { deviceId, LinuxHost, type FsPort } from "../../agent/host/linux.js";
import { compileFilters } from "../../agent/host/options.js";
import type { FsSpace } from "../../agent/host/filesystems.js";
import { METRIC, type Metric } from "../../protocol/index.js";

// debian12-vm selects two filesystems: `/` and `/mnt/tools`.
const ROOT = path.join(import.meta.dirname, "../fixtures/host/debian12-vm");
const SPACE: FsSpace = { bsize: 4096, blocks: 100, bfree: 40, bavail: 30 };

/** A filesystem port whose statfs can hang per mount point, and whose device numbers are given per path. */
function fakeFs(devs: Record<string, bigint> = {}, root = ROOT) {
  const hung = new Set<string>();
  const waiting = new Map<string, () => void>();
  const calls: string[] = [];
  const fs: FsPort = {
    statfs(p, callback) {
      const mountPoint = "/" + path.relative(root, p);
      calls.push(mountPoint);
      if (hung.has(mountPoint)) waiting.set(mountPoint, () => callback(null, SPACE));
      else callback(null, SPACE);
    },
    dev(p, callback) {
      const rel = "/" + path.relative(root, p);
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

describe("LinuxHost statfs of local filesystems", () => {
  /** The fake port with blocking calls too; it records which kind each mount point got. */
  function syncFs(devs: Record<string, bigint>, failing = new Set<string>()) {
    const fake = fakeFs(devs);
    const syncCalls: string[] = [];
    const rel = (p: string) => "/" + path.relative(ROOT, p);
    fake.fs.statfsSync = (p) => {
      syncCalls.push(rel(p));
      if (failing.has(rel(p))) throw new Error("EIO");
      return SPACE;
    };
    fake.fs.devSync = (p) => devs[rel(p)] ?? BigInt(rel(p).length);
    return { ...fake, syncCalls };
  }

  it("measures ext4 and tmpfs in line, not through the thread pool, with the same results", async () => {
    const fake = syncFs({ "/": 254n << 8n, "/mnt/tools": 25n });
    const host = new LinuxHost(ROOT, compileFilters(), { fs: fake.fs });
    const metrics = await host.sample();
    expect(errors(metrics)).toEqual({ "/": 0, "/mnt/tools": 0 });
    expect(metrics.find((m) => m.name === METRIC.filesystemLimit)!.points.map((p) => p.value)).toEqual([409600, 409600]);
    expect(fake.syncCalls).toEqual(["/", "/mnt/tools"]);
    expect(fake.calls).toEqual([]);
  });

  it("applies the same checks in line: a mount point on its parent's filesystem is not measured, a failing one is an error", async () => {
    const fake = syncFs({ "/": 254n << 8n, "/mnt/tools": 7n, "/mnt": 7n }, new Set(["/"]));
    const host = new LinuxHost(ROOT, compileFilters(), { fs: fake.fs });
    expect(errors(await host.sample())).toEqual({ "/": 1, "/mnt/tools": 1 });
    expect(fake.syncCalls).toEqual(["/"]);
  });
});

describe("LinuxHost mount table", () => {
  // The fixture's table: `/` is 254:0, `/mnt/tools` 0:25 (glibc's dev_t: major << 8 | minor for small numbers).
  const DEVS = { "/": 254n << 8n, "/mnt/tools": 25n };
  let root: string | undefined;
  afterEach(() => {
    if (root) rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  /** A copy of the fixture tree whose mount table can be changed, and a LinuxHost on it seen from `/` (no parent checks). */
  function setup(devs: Record<string, bigint>) {
    root = mkdtempSync(path.join(tmpdir(), "vigie-mounts-"));
    cpSync(ROOT, root, { recursive: true });
    const table = path.join(root, "proc/1/mountinfo");
    const dropTools = () => writeFileSync(table, readFileSync(table, "utf8").split("\n").filter((l) => !l.includes(" /mnt/tools ")).join("\n"));
    const fake = fakeFs(devs, root);
    const host = new LinuxHost(root, compileFilters(), { fs: fake.fs });
    // Seen as the host's own root: the device number check is the only one made.
    (host as unknown as { verifyMounts: boolean }).verifyMounts = false;
    return { host, dropTools, fake };
  }

  it("decodes device numbers the way the table writes them", () => {
    expect(deviceId(254n << 8n)).toBe("254:0");
    expect(deviceId(25n)).toBe("0:25");
    expect(deviceId((259n << 8n) | 3n)).toBe("259:3");
    // A major past 4095 and a minor past 255 use the high bits.
    expect(deviceId(((4096n & ~0xfffn) << 32n) | (((300n & ~0xffn) << 12n) | (300n & 0xffn)))).toBe("4096:300");
  });

  it("reads the table again every few cycles, not every cycle, while the mounts stay as they were", async () => {
    const { host, dropTools } = setup({ ...DEVS });
    expect(Object.keys(errors(await host.sample()))).toEqual(["/", "/mnt/tools"]);
    dropTools(); // the table changes but the filesystem still answers with its device number
    for (let cycle = 2; cycle <= 6; cycle++) expect(Object.keys(errors(await host.sample()))).toEqual(["/", "/mnt/tools"]);
    expect(Object.keys(errors(await host.sample()))).toEqual(["/"]);
  });

  it("sees a mount gone between two reads of the table in the cycle it happens: an error point, then gone", async () => {
    const devs = { ...DEVS };
    const { host, dropTools, fake } = setup(devs);
    expect(errors(await host.sample())).toEqual({ "/": 0, "/mnt/tools": 0 });
    dropTools();
    devs["/mnt/tools"] = 254n << 8n; // unmounted: the directory is on `/` now
    expect(errors(await host.sample())).toEqual({ "/": 0, "/mnt/tools": 1 });
    expect(fake.calls.filter((c) => c === "/mnt/tools")).toHaveLength(1); // no statfs of the wrong filesystem
    expect(errors(await host.sample())).toEqual({ "/": 0 });
  });

  it("measures a filesystem whose device number never matches its table line, without error", async () => {
    const { host } = setup({ ...DEVS, "/mnt/tools": 99n });
    for (let cycle = 1; cycle <= 8; cycle++) expect(errors(await host.sample())).toEqual({ "/": 0, "/mnt/tools": 0 });
  });
});
