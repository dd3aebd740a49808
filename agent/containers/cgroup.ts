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


/** cgroup v1 writes "no limit" as the largest page-aligned int64 (9223372036854771712). */
export const V1_UNLIMITED = 2 ** 60;

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

/**
 * The numbers of a few keys of a `key value` file (cpu.stat, memory.stat, cpuacct.stat,
 * memory.events, memory.oom_control), read straight from its bytes: one pass, no strings.
 * `out[i]` gets the value of `keys.keys[i]`, NaN when the file does not have it.
 */
export function scanKeyValues(buf: Uint8Array, len: number, keys: KeySet, out: Float64Array): void {
  out.fill(Number.NaN);
  let line = 0;
  while (line < len) {
    let sp = line;
    while (sp < len && buf[sp] !== SPACE && buf[sp] !== NEWLINE) sp++;
    let end = sp;
    while (end < len && buf[end] !== NEWLINE) end++;
    if (sp < end) {
      const k = keys.find(buf, line, sp);
      if (k >= 0) out[k] = parseDecimal(buf, sp + 1, end);
    }
    line = end + 1;
  }
}

/** The keys a scan looks for, as bytes, with an index by length for a quick rejection. */
export class KeySet {
  private readonly bytes: Uint8Array[];
  constructor(readonly keys: readonly string[]) {
    this.bytes = keys.map((k) => Buffer.from(k, "latin1"));
  }

  /** The index of the key `buf[start, end)`, or -1. */
  find(buf: Uint8Array, start: number, end: number): number {
    const n = end - start;
    outer: for (let i = 0; i < this.bytes.length; i++) {
      const k = this.bytes[i] as Uint8Array;
      if (k.length !== n) continue;
      for (let j = 0; j < n; j++) if (k[j] !== buf[start + j]) continue outer;
      return i;
    }
    return -1;
  }
}

/**
 * A non-negative decimal integer in `buf[start, end)` (surrounding blanks ignored); NaN when it
 * is not one. Correctly rounded, as `Number` reads it, so a counter beyond 2^53 never seems to go
 * backwards: up to 15 digits the value is exact; 16 to 20 digits (v1's "unlimited" is in every
 * `memory.stat`) are read as hi·10^15 + lo, both exact doubles (hi < 10^5, so hi·5^15 < 2^52),
 * added with one correctly rounded addition; longer text goes through `Number`.
 */
export function parseDecimal(buf: Uint8Array, start: number, end: number): number {
  while (start < end && isBlank(buf[start] as number)) start++;
  while (end > start && isBlank(buf[end - 1] as number)) end--;
  const n = end - start;
  if (n === 0) return Number.NaN;
  if (n <= 15) return digits(buf, start, end);
  if (n <= 20) {
    const split = end - 15;
    return digits(buf, start, split) * 1e15 + digits(buf, split, end);
  }
  const text = Buffer.from(buf.buffer, buf.byteOffset + start, n).toString("latin1");
  return /^\d+$/.test(text) ? Number(text) : Number.NaN;
}

/** At most 15 decimal digits, exactly; NaN on anything else. */
function digits(buf: Uint8Array, start: number, end: number): number {
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = (buf[i] as number) - ZERO;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return v;
}

/** A single-number file; `max` (v2), v1's huge "unlimited" and anything not a number become undefined. */
export function limitFrom(buf: Uint8Array, len: number): number | undefined {
  const v = parseDecimal(buf, 0, len);
  return Number.isFinite(v) && v < V1_UNLIMITED ? v : undefined;
}

/**
 * Adds v1 `blkio.throttle.io_service_bytes_recursive` (`bytes`) or `…io_serviced_recursive`
 * lines (`8:0 Read 4096`) to the devices, found by their `major:minor`.
 */
export function scanV1Blkio(buf: Uint8Array, len: number, bytes: boolean, devices: BlkioDevice[]): void {
  let line = 0;
  while (line < len) {
    let end = line;
    while (end < len && buf[end] !== NEWLINE) end++;
    const sp1 = indexOf(buf, SPACE, line, end);
    const sp2 = sp1 < 0 ? -1 : indexOf(buf, SPACE, sp1 + 1, end);
    if (sp2 > 0 && indexOf(buf, COLON, line, sp1) > 0) {
      const op = buf[sp1 + 1] === R_UPPER && sp2 - sp1 === 5 ? "read" : buf[sp1 + 1] === W_UPPER && sp2 - sp1 === 6 ? "write" : undefined;
      const v = parseDecimal(buf, sp2 + 1, end);
      if (op && Number.isFinite(v)) {
        const d = device(devices, buf, line, sp1);
        if (op === "read" && bytes) d.readBytes += v;
        else if (op === "read") d.readOps += v;
        else if (bytes) d.writeBytes += v;
        else d.writeOps += v;
      }
    }
    line = end + 1;
  }
}

/** v2 `io.stat`: `8:0 rbytes=… wbytes=… rios=… wios=… dbytes=… dios=…`. */
export function scanV2IoStat(buf: Uint8Array, len: number): BlkioDevice[] {
  const devices: BlkioDevice[] = [];
  let line = 0;
  while (line < len) {
    let end = line;
    while (end < len && buf[end] !== NEWLINE) end++;
    const sp = indexOf(buf, SPACE, line, end);
    const first = sp < 0 ? end : sp;
    if (first > line && indexOf(buf, COLON, line, first) > 0) {
      const d = device(devices, buf, line, first);
      let f = first + 1;
      while (f < end) {
        let fe = indexOf(buf, SPACE, f, end);
        if (fe < 0) fe = end;
        const eq = indexOf(buf, EQUALS, f, fe);
        if (eq > 0) {
          const v = parseDecimal(buf, eq + 1, fe);
          if (Number.isFinite(v)) {
            const key = IO_STAT_KEYS.find(buf, f, eq);
            if (key === 0) d.readBytes = v;
            else if (key === 1) d.writeBytes = v;
            else if (key === 2) d.readOps = v;
            else if (key === 3) d.writeOps = v;
          }
        }
        f = fe + 1;
      }
    }
    line = end + 1;
  }
  return devices;
}

const IO_STAT_KEYS = new KeySet(["rbytes", "wbytes", "rios", "wios"]);

/** The device `buf[start, end)` of the list, added when new. */
function device(devices: BlkioDevice[], buf: Uint8Array, start: number, end: number): BlkioDevice {
  for (const d of devices) if (sameText(d.device, buf, start, end)) return d;
  const d: BlkioDevice = { device: Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("latin1"), readBytes: 0, writeBytes: 0, readOps: 0, writeOps: 0 };
  devices.push(d);
  return d;
}

function sameText(text: string, buf: Uint8Array, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}

function indexOf(buf: Uint8Array, byte: number, start: number, end: number): number {
  for (let i = start; i < end; i++) if (buf[i] === byte) return i;
  return -1;
}

function isBlank(b: number): boolean {
  return b === SPACE || b === NEWLINE || b === TAB || b === CR;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;
const TAB = 0x09;
const CR = 0x0d;
const ZERO = 0x30;
const COLON = 0x3a;
const EQUALS = 0x3d;
const R_UPPER = 0x52;
const W_UPPER = 0x57;

/** One key of a `key value` text (a convenience over `scanKeyValues`). */
export function keyValue(text: string, key: string): number | undefined {
  const out = new Float64Array(1);
  const buf = Buffer.from(text, "latin1");
  scanKeyValues(buf, buf.length, new KeySet([key]), out);
  return Number.isNaN(out[0]) ? undefined : out[0];
}

/** `limitFrom` over a text. */
export function parseLimit(text: string): number | undefined {
  const buf = Buffer.from(text, "latin1");
  return limitFrom(buf, buf.length);
}

/** Both v1 blkio files' texts as devices. */
export function parseV1Blkio(bytesText: string, opsText: string | undefined): BlkioDevice[] {
  const devices: BlkioDevice[] = [];
  const bytes = Buffer.from(bytesText, "latin1");
  scanV1Blkio(bytes, bytes.length, true, devices);
  if (opsText !== undefined) {
    const ops = Buffer.from(opsText, "latin1");
    scanV1Blkio(ops, ops.length, false, devices);
  }
  return devices;
}

/** `scanV2IoStat` over a text. */
export function parseV2IoStat(text: string): BlkioDevice[] {
  const buf = Buffer.from(text, "latin1");
  return scanV2IoStat(buf, buf.length);
}

/** A container's `/proc/<pid>/net/dev`: the host's parser, loopback left out (it never leaves the container). */
export function parseNetDev(text: string): InterfaceStats[] {
  return parseHostNetDev(text, LOOPBACK);
}

const LOOPBACK = /^lo$/;

