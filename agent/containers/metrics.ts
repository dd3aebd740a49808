import { ATTR, EncodedResource, METRIC, type Attributes, type Metric } from "../../protocol/index.js";
import type { ContainerStats } from "./cgroup.js";
import type { ContainerMeta } from "./metadata.js";

/**
 * One container's metrics on the wire: OpenTelemetry names where they exist, `vigie.container.*`
 * otherwise (protocol/names.ts). Counters are cumulative; absent numbers are left out, not zeroed.
 *
 * Written straight to JSON bytes from constant pieces and the numbers — at 50 containers a
 * second, building ~150 objects per container, stringifying them and encoding the text was a
 * third of the agent's CPU, and most of what it allocated. `resourceJson` is the container's
 * resource attributes as JSON bytes (made once per container). The result reads as a
 * `ResourceMetrics` wherever one is expected.
 */
export function encodeContainer(resourceJson: Uint8Array, stats: ContainerStats, meta: ContainerMeta): EncodedResource {
  const w = WRITER.start(resourceJson);
  const { cpu, memory } = stats;

  if (cpu.userSeconds !== undefined && cpu.systemSeconds !== undefined) {
    w.pairs(H.cpuTime, USER_SYSTEM, cpu.userSeconds, cpu.systemSeconds);
  }
  w.single(H.cpuTotal, cpu.totalSeconds);
  w.single(H.cpuPeriods, cpu.periods);
  w.single(H.cpuThrottledPeriods, cpu.throttledPeriods);
  w.single(H.cpuThrottledTime, cpu.throttledSeconds);

  w.single(H.memUsage, memory.usage);
  w.single(H.memWorkingSet, memory.workingSet);
  w.single(H.memLimit, memory.limit);
  w.single(H.memCache, memory.cache);
  w.single(H.memRss, memory.rss);
  w.single(H.oomKills, memory.oomKills);

  const network = stats.network;
  if (network && network.length > 0) {
    const dirs = network.map((n) => directions(INTERFACES, ATTR.networkInterfaceName, n.name, ATTR.networkIoDirection, "receive", "transmit"));
    w.each(H.netIo, dirs, network, (n) => n.rxBytes, (n) => n.txBytes);
    w.each(H.netPackets, dirs, network, (n) => n.rxPackets, (n) => n.txPackets);
    w.each(H.netErrors, dirs, network, (n) => n.rxErrors, (n) => n.txErrors);
    w.each(H.netDropped, dirs, network, (n) => n.rxDropped, (n) => n.txDropped);
  }

  const blkio = stats.blkio;
  if (blkio.length > 0) {
    const dirs = blkio.map((d) => directions(DEVICES, ATTR.device, d.device, ATTR.diskIoDirection, "read", "write"));
    w.each(H.diskIo, dirs, blkio, (d) => d.readBytes, (d) => d.writeBytes);
    w.each(H.diskOps, dirs, blkio, (d) => d.readOps, (d) => d.writeOps);
  }

  w.single(H.pids, stats.pids);
  w.single(H.restarts, meta.restartCount);
  w.labelled(H.state, attributeJson(STATES, ATTR.containerState, meta.state), 1);
  w.labelled(H.health, attributeJson(HEALTHS, ATTR.containerHealthStatus, meta.health), 1);
  if (meta.startedAt !== undefined) w.single(H.startTime, meta.startedAt / 1000);
  return w.done();
}

/** The JSON that starts a metric: `{"name":…,"type":…,"unit":…,"points":[`. */
function head(name: string, type: Metric["type"], unit: string): Uint8Array {
  return utf8(`{"name":${JSON.stringify(name)},"type":"${type}","unit":${JSON.stringify(unit)},"points":[`);
}

function utf8(text: string): Uint8Array {
  return Buffer.from(text, "utf8");
}

const H = {
  cpuTime: head(METRIC.containerCpuTime, "counter", "s"),
  cpuTotal: head(METRIC.containerCpuTotalTime, "counter", "s"),
  cpuPeriods: head(METRIC.containerCpuPeriods, "counter", "{period}"),
  cpuThrottledPeriods: head(METRIC.containerCpuThrottledPeriods, "counter", "{period}"),
  cpuThrottledTime: head(METRIC.containerCpuThrottledTime, "counter", "s"),
  memUsage: head(METRIC.containerMemoryUsage, "updowncounter", "By"),
  memWorkingSet: head(METRIC.containerMemoryWorkingSet, "updowncounter", "By"),
  memLimit: head(METRIC.containerMemoryLimit, "updowncounter", "By"),
  memCache: head(METRIC.containerMemoryCache, "updowncounter", "By"),
  memRss: head(METRIC.containerMemoryRss, "updowncounter", "By"),
  oomKills: head(METRIC.containerOomKills, "counter", "{kill}"),
  netIo: head(METRIC.containerNetworkIo, "counter", "By"),
  netPackets: head(METRIC.containerNetworkPackets, "counter", "{packet}"),
  netErrors: head(METRIC.containerNetworkErrors, "counter", "{error}"),
  netDropped: head(METRIC.containerNetworkDropped, "counter", "{packet}"),
  diskIo: head(METRIC.containerDiskIo, "counter", "By"),
  diskOps: head(METRIC.containerDiskOperations, "counter", "{operation}"),
  pids: head(METRIC.containerPids, "updowncounter", "{process}"),
  restarts: head(METRIC.containerRestarts, "counter", "{restart}"),
  state: head(METRIC.containerState, "gauge", "1"),
  health: head(METRIC.containerHealth, "gauge", "1"),
  startTime: head(METRIC.containerStartTime, "gauge", "s"),
};

/** The attribute objects (as JSON) of a pair of points that differ in their direction. */
type Directions = readonly [Uint8Array, Uint8Array];

/**
 * The few values seen (states, health statuses, interface and device names) keep their JSON:
 * made once, not every cycle. Each memo is emptied should it ever grow past a bound.
 */
class Memo<T> {
  private readonly map = new Map<string, T>();
  get(key: string, make: () => T): T {
    let v = this.map.get(key);
    if (v === undefined) {
      if (this.map.size >= 1024) this.map.clear();
      this.map.set(key, (v = make()));
    }
    return v;
  }
}

const STATES = new Memo<Uint8Array>();
const HEALTHS = new Memo<Uint8Array>();
const INTERFACES = new Memo<Directions>();
const DEVICES = new Memo<Directions>();

function attributeJson(memo: Memo<Uint8Array>, key: string, value: string): Uint8Array {
  return memo.get(value, () => utf8(JSON.stringify({ [key]: value })));
}

function directions(memo: Memo<Directions>, key: string, value: string, directionKey: string, first: string, second: string): Directions {
  return memo.get(value, () => {
    const attrs = (direction: string): Uint8Array => utf8(JSON.stringify({ [key]: value, [directionKey]: direction } satisfies Attributes));
    return [attrs(first), attrs(second)];
  });
}

const USER_SYSTEM: Directions = [utf8(JSON.stringify({ [ATTR.cpuMode]: "user" })), utf8(JSON.stringify({ [ATTR.cpuMode]: "system" }))];

const RESOURCE_OPEN = utf8(`{"resource":`);
const METRICS_OPEN = utf8(`,"metrics":[`);
const VALUE_OPEN = utf8(`{"value":`);
const ATTRIBUTES_OPEN = utf8(`{"attributes":`);
const ATTRIBUTES_VALUE = utf8(`,"value":`);
const POINT_CLOSE = utf8("}");
const METRIC_CLOSE = utf8("]}");
const RESOURCE_CLOSE = utf8("]}");
const COMMA = 0x2c;

/** Where one container's JSON is written before it is copied out at its exact size. */
let scratch = Buffer.allocUnsafe(16 * 1024);

/**
 * Appends metrics to one resource's JSON, in bytes. Numbers print as `String` prints them (as
 * JSON does); a point whose value is not finite is left out (JSON has no NaN), a metric left
 * without points is not written.
 */
class Writer {
  private at = 0;
  private metrics = 0;
  private points = 0;

  /** Starts a resource, forgetting the one before (everything is written synchronously). */
  start(resourceJson: Uint8Array): this {
    this.at = 0;
    this.metrics = 0;
    this.points = 0;
    this.bytes(RESOURCE_OPEN);
    this.bytes(resourceJson);
    this.bytes(METRICS_OPEN);
    return this;
  }

  single(head: Uint8Array, value: number | undefined): void {
    if (value === undefined || !Number.isFinite(value)) return;
    this.open(head);
    this.bytes(VALUE_OPEN);
    this.number(value);
    this.bytes(POINT_CLOSE);
    this.bytes(METRIC_CLOSE);
    this.points++;
  }

  labelled(head: Uint8Array, attributesJson: Uint8Array, value: number): void {
    this.open(head);
    this.point(attributesJson, value);
    this.bytes(METRIC_CLOSE);
    this.points++;
  }

  pairs(head: Uint8Array, attrs: Directions, first: number, second: number): void {
    this.each(head, [attrs], [first], (v) => v, () => second);
  }

  /** One pair of points per item (an interface, a device): `first` and `second` direction. */
  each<T>(head: Uint8Array, attrs: readonly Directions[], items: readonly T[], first: (item: T) => number, second: (item: T) => number): void {
    const start = this.at;
    const metrics = this.metrics;
    this.open(head);
    let n = 0;
    items.forEach((item, i) => {
      const a = attrs[i] as Directions;
      const v1 = first(item);
      if (Number.isFinite(v1)) {
        if (n++ > 0) this.byte(COMMA);
        this.point(a[0], v1);
      }
      const v2 = second(item);
      if (Number.isFinite(v2)) {
        if (n++ > 0) this.byte(COMMA);
        this.point(a[1], v2);
      }
    });
    if (n === 0) {
      // Nothing finite: the metric is taken back out.
      this.at = start;
      this.metrics = metrics;
      return;
    }
    this.bytes(METRIC_CLOSE);
    this.points += n;
  }

  /** The resource's JSON, copied out of the scratch buffer. */
  done(): EncodedResource {
    this.bytes(RESOURCE_CLOSE);
    return new EncodedResource(Buffer.from(scratch.subarray(0, this.at)), this.points);
  }

  private open(head: Uint8Array): void {
    if (this.metrics++ > 0) this.byte(COMMA);
    this.bytes(head);
  }

  private point(attributesJson: Uint8Array, value: number): void {
    this.bytes(ATTRIBUTES_OPEN);
    this.bytes(attributesJson);
    this.bytes(ATTRIBUTES_VALUE);
    this.number(value);
    this.bytes(POINT_CLOSE);
  }

  private room(n: number): void {
    if (this.at + n <= scratch.length) return;
    const grown = Buffer.allocUnsafe(Math.max(scratch.length * 2, this.at + n));
    scratch.copy(grown, 0, 0, this.at);
    scratch = grown;
  }

  private bytes(b: Uint8Array): void {
    this.room(b.length);
    scratch.set(b, this.at);
    this.at += b.length;
  }

  private byte(c: number): void {
    this.room(1);
    scratch[this.at++] = c;
  }

  /** A finite number as JSON: whole numbers digit by digit, others through `String`. */
  private number(v: number): void {
    if (Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
      let digits = 1;
      for (let p = 10; p <= v; p *= 10) digits++;
      this.room(digits);
      let at = this.at + digits;
      this.at = at;
      do {
        const d = v % 10;
        scratch[--at] = 0x30 + d;
        v = (v - d) / 10;
      } while (v > 0);
      return;
    }
    const text = String(v);
    this.room(text.length);
    for (let i = 0; i < text.length; i++) scratch[this.at++] = text.charCodeAt(i);
  }
}

/**
 * The one writer, reused for every container. A writer per container made V8 treat its shape as
 * short-lived: the first memory-reducing GC (~9 s after start) dropped it and deoptimised every
 * optimised writer method, which were then compiled again.
 */
const WRITER = new Writer();
