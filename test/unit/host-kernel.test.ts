import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseProcStat } from "../../agent/host/cpu.js";
import { filesystemMetrics } from "../../agent/host/filesystems.js";
import { parseFileNr, parseKeyValues, parseNumber, parsePressure, parseProtoTable, parseSnmp6, parseSockstat } from "../../agent/host/kernel.js";
import { LinuxHost } from "../../agent/host/linux.js";
import { memoryFieldMetrics, parseMeminfo } from "../../agent/host/memory.js";
import { linkMetrics } from "../../agent/host/network.js";
import { compileFilters } from "../../agent/host/options.js";
import { METRIC, ResourceMetrics, type Metric } from "../../protocol/index.js";

/** Files copied from this project's Debian 12 test machine (kernel 6.18, PSI on, conntrack files not copied). */
const ROOT = path.join(import.meta.dirname, "../fixtures/host/kernel");
const fixture = (relative: string) => readFileSync(path.join(ROOT, relative), "latin1");
const points = (m: Metric | undefined) => Object.fromEntries((m?.points ?? []).map((p) => [String(p.attributes?.["vigie.linux.field"]), p.value]));

describe("kernel counter parsers", () => {
  it("reads the single counters of /proc/stat and only the first number of intr", () => {
    const stat = parseProcStat(fixture("proc/stat"));
    expect(stat).toMatchObject({ contextSwitches: 19733200, interrupts: 7473879, forks: 99312, procsRunning: 17, procsBlocked: 0, bootTime: 1796226030 });
    expect(parseProcStat("constructor 5\nctxt x\nprocs_running 3\n")).toEqual({ cpus: [], procsRunning: 3 });
  });

  it("keeps meminfo's parenthesised fields under node_exporter's spelling, HugePages_* as counts", () => {
    const fields = points(memoryFieldMetrics(parseMeminfo(fixture("proc/meminfo")))[0]);
    expect(fields).toMatchObject({ Active: 845084 * 1024, Active_anon: 1612 * 1024, Shmem: 9356 * 1024, HugePages_Total: 0 });
    expect(fields).not.toHaveProperty("MemTotal"); // carried by system.memory.limit
  });

  it("pairs the header and value lines of snmp and netstat, negative MaxConn included", () => {
    const snmp = parseProtoTable(fixture("proc/net/snmp"));
    expect(snmp.get("Tcp_CurrEstab")).toBe(2);
    expect(snmp.get("Tcp_MaxConn")).toBe(-1);
    expect(snmp.get("Ip_Forwarding")).toBe(1);
    expect(parseProtoTable(fixture("proc/net/netstat")).get("IpExt_InOctets")).toBe(1293750498);
    // A header without its value line, or one of another length, yields nothing rather than shifted fields.
    expect(parseProtoTable("Tcp: A B\nTcp: 1\nUdp: C\n").size).toBe(0);
  });

  it("splits snmp6 names at the protocol", () => {
    const six = parseSnmp6(fixture("proc/net/snmp6"));
    expect(six.get("Ip6_InOctets")).toBe(128);
    expect(six.get("Udp6_InDatagrams")).toBe(0);
  });

  it("reads sockstat's name-value pairs per protocol", () => {
    const s = parseSockstat(fixture("proc/net/sockstat"));
    expect(Object.fromEntries(s)).toMatchObject({ sockets_used: 48, TCP_inuse: 3, TCP_tw: 3, TCP_mem: 36, FRAG_memory: 0 });
    expect(parseSockstat("TCP: inuse\n").size).toBe(0);
  });

  it("reads vmstat, file-nr, one-number files and pressure totals in seconds", () => {
    expect(parseKeyValues(fixture("proc/vmstat")).get("oom_kill")).toBe(107);
    expect(parseFileNr(fixture("proc/sys/fs/file-nr"))).toEqual({ allocated: 877, maximum: 2466112 });
    expect(parseFileNr("x")).toBeUndefined();
    expect(parseNumber(" 256\n")).toBe(256);
    expect(parseNumber("")).toBeUndefined();
    expect(parseNumber("-3")).toBeUndefined();
    expect(parsePressure(fixture("proc/pressure/io"))).toEqual({ some: 143.033691, full: 6.963636 });
  });

  it("gives inodes and the read-only flag per filesystem", () => {
    const mount = { mountPoint: "/", device: "/dev/vda", fsType: "ext4", readOnly: true };
    const out = filesystemMetrics([{ mount, space: { bsize: 4096, blocks: 10, bfree: 5, bavail: 4, files: 100, ffree: 30 } }]);
    const inodes = out.find((m) => m.name === METRIC.filesystemInodes);
    expect(inodes?.points.map((p) => [p.attributes?.["system.filesystem.state"], p.value])).toEqual([["used", 70], ["free", 30]]);
    expect(out.find((m) => m.name === METRIC.filesystemReadonly)?.points[0]?.value).toBe(1);
  });

  it("says an interface is up only when its operstate is up", () => {
    const [up, mtu] = linkMetrics([{ name: "eth0", operstate: "up", mtu: 1400 }, { name: "lo", operstate: "unknown", mtu: 65536 }]);
    expect(up?.points.map((p) => p.value)).toEqual([1, 0]);
    expect(mtu?.points.map((p) => p.value)).toEqual([1400, 65536]);
  });
});

describe("LinuxHost on the captured kernel files", () => {
  it("sends the families dashboards read, with the injected clock", async () => {
    const host = new LinuxHost(ROOT, compileFilters({ networkInterfacesExclude: "" }), { now: () => 1_800_000_000_500 });
    try {
      const metrics = await host.sample();
      expect(() => ResourceMetrics.parse({ resource: {}, metrics })).not.toThrow();
      const metric = (name: string) => metrics.find((m) => m.name === name);
      expect(metric(METRIC.time)?.points[0]?.value).toBe(1_800_000_000.5);
      expect(metric(METRIC.contextSwitches)?.points[0]?.value).toBe(19733200);
      expect(points(metric(METRIC.vmstat))).toEqual({ oom_kill: 107, pgfault: 66354600, pgmajfault: expect.any(Number), pgpgin: expect.any(Number), pgpgout: expect.any(Number), pswpin: expect.any(Number), pswpout: expect.any(Number) });
      expect(points(metric(METRIC.netstat))).toMatchObject({ Tcp_CurrEstab: 2, Ip6_InOctets: 128, TcpExt_TCPTimeouts: 2 });
      expect(points(metric(METRIC.sockstat))).toMatchObject({ sockets_used: 48, TCP6_inuse: expect.any(Number) });
      expect(metric(METRIC.fileDescriptorsLimit)?.points[0]?.value).toBe(2466112);
      expect(metric(METRIC.entropyAvailable)?.points[0]?.value).toBe(256);
      expect(metric(METRIC.conntrackEntries)).toBeUndefined(); // not copied into the fixture
      expect(metric(METRIC.pressureStallTime)?.points).toHaveLength(6);
      const up = metric(METRIC.networkUp)?.points.map((p) => [p.attributes?.["network.interface.name"], p.value]);
      expect(up).toEqual(expect.arrayContaining([["eth0", 1], ["lo", 0]]));
    } finally {
      host.close();
    }
  });
});
