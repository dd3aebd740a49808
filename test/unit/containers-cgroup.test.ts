import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { OpenFiles } from "../../lib/index.js";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { KeySet, keyValue, parseDecimal, parseLimit, parseNetDev, parseProcCgroup, parseV1Blkio, parseV2IoStat, scanKeyValues } from "../../agent/containers/cgroup.js";
import { candidatePaths, detectLayout, resolveContainerCgroup } from "../../agent/containers/layout.js";
import { readContainerStats } from "../../agent/containers/reader.js";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/cgroup");
const fixture = (name: string) => {
  const root = path.join(FIXTURES, name);
  const [id, pid] = readFileSync(path.join(root, "CONTAINER"), "utf8").trim().split(" ") as [string, string];
  return { root, id, pid, procCgroup: readFileSync(path.join(root, "proc", pid, "cgroup"), "utf8"), netDev: path.join(root, "proc", pid, "net/dev") };
};

describe("cgroup parsers", () => {
  it("reads the v2 path and every v1 controller's path from /proc/<pid>/cgroup", () => {
    const p = parseProcCgroup("4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n0::/system.slice/x.scope\n");
    expect(p.unified).toBe("/system.slice/x.scope");
    expect(p.v1.get("memory")).toBe("/docker/abc");
    expect(p.v1.get("cpu")).toBe("/docker/abc");
    expect(p.v1.get("cpuacct")).toBe("/docker/abc");
    expect(p.v1.get("name=systemd")).toBe("/docker/abc");
  });

  it("treats v2's `max` and v1's page-aligned int64 as no limit", () => {
    expect(parseLimit("max\n")).toBeUndefined();
    expect(parseLimit("9223372036854771712\n")).toBeUndefined();
    expect(parseLimit("67108864\n")).toBe(67108864);
  });

  it("sums v1 blkio per device and ignores the Total lines", () => {
    const d = parseV1Blkio("8:0 Read 10\n8:0 Write 20\n8:0 Total 30\n8:16 Read 1\nTotal 31\n", "8:0 Read 1\n8:0 Write 2\nTotal 3\n");
    expect(d).toEqual([
      { device: "8:0", readBytes: 10, writeBytes: 20, readOps: 1, writeOps: 2 },
      { device: "8:16", readBytes: 1, writeBytes: 0, readOps: 0, writeOps: 0 },
    ]);
  });

  it("reads v2 io.stat fields by name", () => {
    expect(parseV2IoStat("8:0 rbytes=5 wbytes=6 rios=7 wios=8 dbytes=0 dios=0\n")).toEqual([{ device: "8:0", readBytes: 5, writeBytes: 6, readOps: 7, writeOps: 8 }]);
  });

  it("leaves loopback and the header lines out of net/dev", () => {
    const devs = parseNetDev(readFileSync(fixture("v2-systemd").netDev, "utf8"));
    expect(devs).toEqual([{ name: "eth0", rxBytes: 5242880, rxPackets: 4100, rxErrors: 0, rxDropped: 7, txBytes: 1048576, txPackets: 2050, txErrors: 0, txDropped: 0 }]);
  });

  it("finds one key of a key-value file at its start, in its middle and at its end, and not a key that only ends the same", () => {
    const text = "cache 1\nrss 2\ntotal_rss 3\nrss_huge 4";
    expect(keyValue(text, "cache")).toBe(1);
    expect(keyValue(text, "rss")).toBe(2);
    expect(keyValue(text, "total_rss")).toBe(3);
    expect(keyValue(text, "rss_huge")).toBe(4);
    expect(keyValue(text, "huge")).toBeUndefined();
    expect(keyValue("\nuser 5\n", "user")).toBe(5);
  });

  it("skips lines without a number in key-value files", () => {
    const text = Buffer.from("a 1\nb x\n\nc 3\nd\n", "latin1");
    const out = new Float64Array(5);
    scanKeyValues(text, text.length, new KeySet(["a", "b", "c", "d", "e"]), out);
    expect([...out]).toEqual([1, Number.NaN, 3, Number.NaN, Number.NaN]);
  });

  it("reads decimal numbers from bytes, exactly up to 2^53 and rounded like Number beyond", () => {
    const n = (text: string) => parseDecimal(Buffer.from(text, "latin1"), 0, text.length);
    expect(n("0")).toBe(0);
    expect(n(" 655921366\n")).toBe(655921366);
    expect(n("9007199254740993")).toBe(Number("9007199254740993"));
    expect(n("9223372036854771712")).toBe(9223372036854771712);
    expect(n("12a")).toBeNaN();
    expect(n("-1")).toBeNaN();
    expect(n("")).toBeNaN();
    expect(n("18446744073709551615")).toBe(2 ** 64);
    expect(n("1844674407370955161x")).toBeNaN();
    expect(n("123456789012345678901234")).toBe(Number("123456789012345678901234"));
  });

  it("reads long numbers exactly as Number reads them, halfway cases included", () => {
    const n = (text: string) => parseDecimal(Buffer.from(text, "latin1"), 0, text.length);
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    for (let i = 0; i < 2000; i++) {
      const len = 16 + Math.floor(rand() * 9); // 16..24 digits
      let text = String(1 + Math.floor(rand() * 9));
      while (text.length < len) text += String(Math.floor(rand() * 10));
      expect(n(text), text).toBe(Number(text));
    }
    // 2^53 + 1 and 2^54 + 2 lie halfway between two doubles: ties go to even
    for (const text of ["9007199254740993", "18014398509481986", "9007199254740995", "99999999999999999999"]) expect(n(text), text).toBe(Number(text));
  });
});

describe("cgroup location", () => {
  it("climbs out of another cgroup namespace's view and falls back to Docker's usual places", () => {
    expect(candidatePaths("/../../abc", "abc")).toEqual(["/abc", "/docker/abc", "/system.slice/docker-abc.scope"]);
    expect(candidatePaths("/", "abc")).toEqual(["/docker/abc", "/system.slice/docker-abc.scope"]);
    expect(candidatePaths(undefined, "abc")[0]).toBe("/docker/abc");
  });

  it("is undefined when no candidate directory exists", () => {
    expect(resolveContainerCgroup({ version: 2, root: "/nowhere" }, "0::/x\n", "abc", () => false)).toBeUndefined();
  });
});

describe("v1 tree captured from the live engine (cgroupfs driver)", () => {
  const f = fixture("v1-cgroupfs");

  it("finds each controller's hierarchy, cpu and cpuacct mounted apart", () => {
    const layout = detectLayout(f.root);
    expect(layout?.version).toBe(1);
    if (layout?.version !== 1) return;
    expect(layout.mounts.cpu).toBe(path.join(f.root, "sys/fs/cgroup/cpu"));
    expect(layout.mounts.cpuacct).toBe(path.join(f.root, "sys/fs/cgroup/cpuacct"));
  });

  it("reads CPU, throttling, memory and working set, limit, OOM kills, block I/O, pids and network", () => {
    const cg = resolveContainerCgroup(detectLayout(f.root)!, f.procCgroup, f.id);
    expect(cg?.version).toBe(1);
    const s = readContainerStats(cg!, f.netDev)!;
    expect(s.cpu).toEqual({ totalSeconds: 0.655921366, userSeconds: 0.61, systemSeconds: 0.04, periods: 19, throttledPeriods: 12, throttledSeconds: 0.411963329 });
    expect(s.memory).toEqual({ usage: 22265856, workingSet: 22265856 - 20992000, limit: 67108864, cache: 21135360, rss: 118784, oomKills: 0 });
    expect(s.blkio).toEqual([{ device: "8:0", readBytes: 4096, writeBytes: 20971520, readOps: 1, writeOps: 160 }]);
    expect(s.pids).toBe(2);
    expect(s.network?.map((n) => [n.name, n.rxBytes, n.txBytes, n.rxErrors, n.txDropped])).toEqual([["eth0", 123456, 65432, 1, 4]]);
  });

  it("carries the throttling counters and the OOM kill count over from the cycle before when told not to read them", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "vigie-v1-"));
    try {
      cpSync(f.root, root, { recursive: true });
      const cg = resolveContainerCgroup(detectLayout(root)!, f.procCgroup, f.id);
      if (cg?.version !== 1) throw new Error("expected v1");
      const files = new OpenFiles();
      const first = readContainerStats(cg, undefined, files)!;
      expect(first.cpu.throttledPeriods).toBe(12);
      writeFileSync(path.join(cg.dirs.cpu!, "cpu.stat"), "nr_periods 30\nnr_throttled 20\nthrottled_time 900000000\n");
      writeFileSync(path.join(cg.dirs.memory, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
      writeFileSync(path.join(cg.dirs.cpuacct, "cpuacct.usage"), "755921366\n");
      const carried = readContainerStats(cg, undefined, files, { oomKills: false, throttling: false, previous: first })!;
      expect(carried.cpu).toEqual({ ...first.cpu, totalSeconds: 0.755921366 }); // the rest read afresh
      expect(carried.memory.oomKills).toBe(0);
      const read = readContainerStats(cg, undefined, files, { previous: carried })!;
      expect([read.cpu.periods, read.cpu.throttledPeriods, read.cpu.throttledSeconds, read.memory.oomKills]).toEqual([30, 20, 0.9, 4]);
      files.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("reads the I/O operations only when the bytes file lists a device (both list the same devices)", () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "vigie-v1-"));
    try {
      cpSync(f.root, root, { recursive: true });
      const cg = resolveContainerCgroup(detectLayout(root)!, f.procCgroup, f.id);
      if (cg?.version !== 1 || !cg.dirs.blkio) throw new Error("expected v1 with blkio");
      const files = new OpenFiles();
      expect(readContainerStats(cg, undefined, files)!.blkio).toEqual([{ device: "8:0", readBytes: 4096, writeBytes: 20971520, readOps: 1, writeOps: 160 }]);
      // No I/O yet: the bytes file holds only its total; an operations file that said otherwise is not read.
      writeFileSync(path.join(cg.dirs.blkio, "blkio.throttle.io_service_bytes_recursive"), "Total 0\n");
      writeFileSync(path.join(cg.dirs.blkio, "blkio.throttle.io_serviced_recursive"), "8:16 Read 5\n8:16 Write 6\nTotal 11\n");
      expect(readContainerStats(cg, undefined, files)!.blkio).toEqual([]);
      files.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("reports the container gone, not zero, when its cgroup has vanished", () => {
    const cg = resolveContainerCgroup(detectLayout(f.root)!, f.procCgroup, f.id)!;
    if (cg.version !== 1) throw new Error("expected v1");
    expect(readContainerStats({ version: 1, dirs: { ...cg.dirs, memory: "/nonexistent/memory" } }, undefined)).toBeUndefined();
  });
});

describe("v1 tree with the systemd driver and cpu,cpuacct co-mounted", () => {
  it("finds docker-<id>.scope in every hierarchy and reads the same numbers", () => {
    const f = fixture("v1-systemd");
    const cg = resolveContainerCgroup(detectLayout(f.root)!, f.procCgroup, f.id);
    if (cg?.version !== 1) throw new Error("expected a v1 cgroup");
    expect(cg.dirs.memory).toBe(path.join(f.root, "sys/fs/cgroup/memory/system.slice", `docker-${f.id}.scope`));
    const s = readContainerStats(cg, f.netDev)!;
    expect(s.cpu.totalSeconds).toBe(0.655921366);
    expect(s.cpu.throttledPeriods).toBe(12);
    expect(s.memory.limit).toBe(67108864);
    expect(s.pids).toBe(2);
  });
});

describe("v2 trees (unified hierarchy)", () => {
  it("reads the systemd driver's docker-<id>.scope", () => {
    const f = fixture("v2-systemd");
    const layout = detectLayout(f.root);
    expect(layout).toEqual({ version: 2, root: path.join(f.root, "sys/fs/cgroup") });
    const cg = resolveContainerCgroup(layout!, f.procCgroup, f.id);
    expect(cg).toEqual({ version: 2, dir: path.join(f.root, "sys/fs/cgroup/system.slice", `docker-${f.id}.scope`) });
    const s = readContainerStats(cg!, f.netDev)!;
    expect(s.cpu).toEqual({ totalSeconds: 7.523412, userSeconds: 6.012, systemSeconds: 1.511412, periods: 1200, throttledPeriods: 340, throttledSeconds: 2.25 });
    expect(s.memory).toEqual({ usage: 104857600, workingSet: 104857600 - 31457280, limit: 268435456, cache: 39845888, rss: 62914560, oomKills: 2 });
    expect(s.blkio).toEqual([
      { device: "259:0", readBytes: 1048576, writeBytes: 8388608, readOps: 64, writeOps: 512 },
      { device: "8:16", readBytes: 4096, writeBytes: 0, readOps: 1, writeOps: 0 },
    ]);
    expect(s.pids).toBe(7);
    expect(s.network?.[0]?.rxDropped).toBe(7);
  });

  it("finds the cgroupfs driver's docker/<id> through a path seen from another cgroup namespace, and reads no limit as none", () => {
    const f = fixture("v2-cgroupfs-cgroupns");
    const cg = resolveContainerCgroup(detectLayout(f.root)!, f.procCgroup, f.id);
    expect(cg).toEqual({ version: 2, dir: path.join(f.root, "sys/fs/cgroup/docker", f.id) });
    const s = readContainerStats(cg!, undefined)!;
    expect(s.memory.limit).toBeUndefined();
    expect(s.network).toBeUndefined();
  });
});
