import { ATTR, EncodedResource, METRIC, type Attributes, type Metric } from "../../protocol/index.js";
import type { ContainerStats } from "./cgroup.js";
import type { ContainerMeta } from "./metadata.js";

/**
 * One container's metrics on the wire: OpenTelemetry names where they exist, `vigie.container.*`
 * otherwise (protocol/names.ts). Counters are cumulative; absent numbers are left out, not zeroed.
 *
 * Written straight to JSON from constant pieces and the numbers — at 50 containers a second,
 * building ~150 objects per container and stringifying them was a third of the agent's CPU.
 * `resourceJson` is `JSON.stringify` of the container's resource attributes (made once per
 * container). The result reads as a `ResourceMetrics` wherever one is expected.
 */
export function encodeContainer(resourceJson: string, stats: ContainerStats, meta: ContainerMeta): EncodedResource {
  const w = new Writer(resourceJson);
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
function head(name: string, type: Metric["type"], unit: string): string {
  return `{"name":${JSON.stringify(name)},"type":"${type}","unit":${JSON.stringify(unit)},"points":[`;
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
type Directions = readonly [string, string];

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

const STATES = new Memo<string>();
const HEALTHS = new Memo<string>();
const INTERFACES = new Memo<Directions>();
const DEVICES = new Memo<Directions>();

function attributeJson(memo: Memo<string>, key: string, value: string): string {
  return memo.get(value, () => JSON.stringify({ [key]: value }));
}

function directions(memo: Memo<Directions>, key: string, value: string, directionKey: string, first: string, second: string): Directions {
  return memo.get(value, () => {
    const attrs = (direction: string): Attributes => ({ [key]: value, [directionKey]: direction });
    return [JSON.stringify(attrs(first)), JSON.stringify(attrs(second))];
  });
}

const USER_SYSTEM: Directions = [JSON.stringify({ [ATTR.cpuMode]: "user" }), JSON.stringify({ [ATTR.cpuMode]: "system" })];

/**
 * Appends metrics to one resource's JSON. Numbers print the same in JSON as through `String`;
 * a point whose value is not finite is left out (JSON has no NaN), a metric left without
 * points is not written.
 */
class Writer {
  private out: string;
  private metrics = 0;
  private points = 0;

  constructor(resourceJson: string) {
    this.out = `{"resource":${resourceJson},"metrics":[`;
  }

  single(head: string, value: number | undefined): void {
    if (value === undefined || !Number.isFinite(value)) return;
    this.open(head);
    this.out += `{"value":${value}}]}`;
    this.points++;
  }

  labelled(head: string, attributesJson: string, value: number): void {
    this.open(head);
    this.out += `{"attributes":${attributesJson},"value":${value}}]}`;
    this.points++;
  }

  pairs(head: string, attrs: Directions, first: number, second: number): void {
    this.each(head, [attrs], [first], (v) => v, () => second);
  }

  /** One pair of points per item (an interface, a device): `first` and `second` direction. */
  each<T>(head: string, attrs: readonly Directions[], items: readonly T[], first: (item: T) => number, second: (item: T) => number): void {
    let body = "";
    let n = 0;
    const point = (json: string, value: number) => {
      if (Number.isFinite(value)) body += `${n++ > 0 ? "," : ""}{"attributes":${json},"value":${value}}`;
    };
    items.forEach((item, i) => {
      const a = attrs[i] as Directions;
      point(a[0], first(item));
      point(a[1], second(item));
    });
    if (n === 0) return;
    this.open(head);
    this.out += `${body}]}`;
    this.points += n;
  }

  done(): EncodedResource {
    return new EncodedResource(`${this.out}]}`, this.points);
  }

  private open(head: string): void {
    this.out += this.metrics++ > 0 ? `,${head}` : head;
  }
}
