import { ATTR, METRIC, type Metric } from "../../protocol/index.js";
import type { ProcStat } from "./cpu.js";

/**
 * The kernel's counters that node_exporter's default collectors expose and dashboards read
 * (stat, vmstat, netstat, sockstat, filefd, entropy, pressure, conntrack, time): parsers of the
 * `/proc` text, each bounded to the fields asked for, and the metrics built from them. Every
 * parser returns what it could read; a malformed line is skipped, never a reason to drop the rest.
 */

/** Bound on the number of fields kept from one file (the lists asked for are far shorter). */
const MAX_FIELDS = 512;

const finite = (n: number) => Number.isFinite(n) && n >= 0;

/** `/proc/vmstat`: `pgfault 123` per line. */
export function parseKeyValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [key, value, extra] = line.trim().split(/\s+/);
    if (key === undefined || value === undefined || extra !== undefined || out.size >= MAX_FIELDS) continue;
    const n = Number(value);
    if (finite(n)) out.set(key, n);
  }
  return out;
}

/**
 * `/proc/net/snmp` and `/proc/net/netstat`: a header line and a value line per protocol
 * (`Tcp: ActiveOpens PassiveOpens …` then `Tcp: 12 3 …`), as `Proto_Field` → value. `Tcp_MaxConn`
 * is -1 by definition: negative values are kept.
 */
export function parseProtoTable(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const lines = text.split("\n");
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const head = (lines[i] as string).trim().split(/\s+/);
    const values = (lines[i + 1] as string).trim().split(/\s+/);
    const proto = head[0];
    if (proto === undefined || !proto.endsWith(":") || values[0] !== proto || head.length !== values.length) continue;
    for (let j = 1; j < head.length && out.size < MAX_FIELDS; j++) {
      const n = Number(values[j]);
      if (Number.isFinite(n)) out.set(`${proto.slice(0, -1)}_${head[j] as string}`, n);
    }
  }
  return out;
}

/** `/proc/net/snmp6`: `Ip6InOctets  123` per line, as `Ip6_InOctets` → value (node_exporter's spelling). */
export function parseSnmp6(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, n] of parseKeyValues(text)) {
    const m = /^(Ip6|Icmp6|UdpLite6|Udp6)(\w+)$/.exec(key);
    if (m) out.set(`${m[1] as string}_${m[2] as string}`, n);
  }
  return out;
}

/**
 * `/proc/net/sockstat` and `sockstat6`: `TCP: inuse 3 orphan 0 tw 1 alloc 7 mem 52`, as
 * `TCP_inuse` → 3; `sockets: used 48` as `sockets_used`.
 */
export function parseSockstat(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    const proto = fields[0];
    if (proto === undefined || !proto.endsWith(":") || fields.length % 2 !== 1) continue;
    for (let j = 1; j + 1 < fields.length && out.size < MAX_FIELDS; j += 2) {
      const n = Number(fields[j + 1]);
      if (finite(n)) out.set(`${proto.slice(0, -1)}_${fields[j] as string}`, n);
    }
  }
  return out;
}

/** `/proc/sys/fs/file-nr`: allocated, unused (always 0 since 2.6), maximum. */
export function parseFileNr(text: string): { allocated: number; maximum: number } | undefined {
  const [allocated, , maximum] = text.trim().split(/\s+/).map(Number);
  if (allocated === undefined || maximum === undefined || !finite(allocated) || !finite(maximum)) return undefined;
  return { allocated, maximum };
}

/** One number alone in a file (`entropy_avail`, `nf_conntrack_count`), or undefined. */
export function parseNumber(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text.trim());
  return text.trim() !== "" && finite(n) ? n : undefined;
}

/** `/proc/pressure/<resource>`: `some avg10=… total=<µs>` and `full …`, as seconds per scope. */
export function parsePressure(text: string): { some?: number; full?: number } {
  const out: { some?: number; full?: number } = {};
  for (const line of text.split("\n")) {
    const m = /^(some|full) .*\btotal=(\d+)/.exec(line);
    if (m) out[m[1] as "some" | "full"] = Number(m[2]) / 1e6;
  }
  return out;
}

/**
 * One metric whose points are the `wanted` fields found in `fields`, each tagged with its
 * name in `vigie.linux.field` (node_exporter's spelling, so the exposition rows map it as is).
 * `wanted` maps that name to the key in the file (`Active_anon` ← `Active(anon)`).
 */
export function fieldMetric(name: string, type: Metric["type"], unit: string, fields: Map<string, number>, wanted: readonly (readonly [string, string])[]): Metric[] {
  const points = [];
  for (const [field, key] of wanted) {
    const value = fields.get(key);
    if (value !== undefined) points.push({ attributes: { [ATTR.linuxField]: field }, value });
  }
  return points.length === 0 ? [] : [{ name, type, unit, points }];
}

/** The node's clock and the single counters of `/proc/stat`. */
export function statMetrics(stat: ProcStat, nowMs: number): Metric[] {
  const out: Metric[] = [{ name: METRIC.time, type: "gauge", unit: "s", points: [{ value: nowMs / 1000 }] }];
  const counter = (name: string, unit: string, value: number | undefined) => {
    if (value !== undefined) out.push({ name, type: "counter", unit, points: [{ value }] });
  };
  counter(METRIC.contextSwitches, "{switch}", stat.contextSwitches);
  counter(METRIC.interrupts, "{interrupt}", stat.interrupts);
  counter(METRIC.processesCreated, "{process}", stat.forks);
  const procs = [];
  if (stat.procsRunning !== undefined) procs.push({ attributes: { [ATTR.processState]: "running" }, value: stat.procsRunning });
  if (stat.procsBlocked !== undefined) procs.push({ attributes: { [ATTR.processState]: "blocked" }, value: stat.procsBlocked });
  if (procs.length > 0) out.push({ name: METRIC.processCount, type: "updowncounter", unit: "{process}", points: procs });
  return out;
}

export interface KernelReadings {
  fileNr?: { allocated: number; maximum: number };
  entropyAvailable?: number;
  entropyPoolSize?: number;
  conntrackEntries?: number;
  conntrackLimit?: number;
  /** Per resource (cpu, memory, io): stall seconds per scope. */
  pressure: [string, { some?: number; full?: number }][];
}

export function kernelMetrics(k: KernelReadings): Metric[] {
  const out: Metric[] = [];
  const gauge = (name: string, unit: string, value: number | undefined) => {
    if (value !== undefined) out.push({ name, type: "gauge", unit, points: [{ value }] });
  };
  gauge(METRIC.fileDescriptorsAllocated, "{file}", k.fileNr?.allocated);
  gauge(METRIC.fileDescriptorsLimit, "{file}", k.fileNr?.maximum);
  gauge(METRIC.entropyAvailable, "bit", k.entropyAvailable);
  gauge(METRIC.entropyPoolSize, "bit", k.entropyPoolSize);
  gauge(METRIC.conntrackEntries, "{entry}", k.conntrackEntries);
  gauge(METRIC.conntrackLimit, "{entry}", k.conntrackLimit);
  const points = [];
  for (const [resource, scopes] of k.pressure) {
    for (const scope of ["some", "full"] as const) {
      const value = scopes[scope];
      if (value !== undefined) points.push({ attributes: { [ATTR.pressureResource]: resource, [ATTR.pressureScope]: scope }, value });
    }
  }
  if (points.length > 0) out.push({ name: METRIC.pressureStallTime, type: "counter", unit: "s", points });
  return out;
}
