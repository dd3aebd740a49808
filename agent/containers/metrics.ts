import { ATTR, METRIC, type Metric } from "../../protocol/index.js";
import type { ContainerStats } from "./cgroup.js";
import type { ContainerMeta } from "./metadata.js";

/**
 * One container's metrics on the wire: OpenTelemetry names where they exist, `vigie.container.*`
 * otherwise (protocol/names.ts). Counters are cumulative; absent numbers are left out, not zeroed.
 */
export function containerMetrics(stats: ContainerStats, meta: ContainerMeta): Metric[] {
  const out: Metric[] = [];
  const one = (name: string, type: Metric["type"], unit: string, value: number | undefined) => {
    if (value !== undefined && Number.isFinite(value)) out.push({ name, type, unit, points: [{ value }] });
  };
  const { cpu, memory } = stats;

  if (cpu.userSeconds !== undefined && cpu.systemSeconds !== undefined) {
    out.push({
      name: METRIC.containerCpuTime,
      type: "counter",
      unit: "s",
      points: [
        { attributes: { [ATTR.cpuMode]: "user" }, value: cpu.userSeconds },
        { attributes: { [ATTR.cpuMode]: "system" }, value: cpu.systemSeconds },
      ],
    });
  }
  one(METRIC.containerCpuTotalTime, "counter", "s", cpu.totalSeconds);
  one(METRIC.containerCpuPeriods, "counter", "{period}", cpu.periods);
  one(METRIC.containerCpuThrottledPeriods, "counter", "{period}", cpu.throttledPeriods);
  one(METRIC.containerCpuThrottledTime, "counter", "s", cpu.throttledSeconds);

  one(METRIC.containerMemoryUsage, "updowncounter", "By", memory.usage);
  one(METRIC.containerMemoryWorkingSet, "updowncounter", "By", memory.workingSet);
  one(METRIC.containerMemoryLimit, "updowncounter", "By", memory.limit);
  one(METRIC.containerMemoryCache, "updowncounter", "By", memory.cache);
  one(METRIC.containerMemoryRss, "updowncounter", "By", memory.rss);
  one(METRIC.containerOomKills, "counter", "{kill}", memory.oomKills);

  if (stats.network) {
    const io: Metric["points"] = [];
    const packets: Metric["points"] = [];
    const errors: Metric["points"] = [];
    const dropped: Metric["points"] = [];
    for (const n of stats.network) {
      const rx = { [ATTR.networkInterfaceName]: n.name, [ATTR.networkIoDirection]: "receive" };
      const tx = { [ATTR.networkInterfaceName]: n.name, [ATTR.networkIoDirection]: "transmit" };
      io.push({ attributes: rx, value: n.rxBytes }, { attributes: tx, value: n.txBytes });
      packets.push({ attributes: rx, value: n.rxPackets }, { attributes: tx, value: n.txPackets });
      errors.push({ attributes: rx, value: n.rxErrors }, { attributes: tx, value: n.txErrors });
      dropped.push({ attributes: rx, value: n.rxDropped }, { attributes: tx, value: n.txDropped });
    }
    if (io.length > 0) {
      out.push(
        { name: METRIC.containerNetworkIo, type: "counter", unit: "By", points: io },
        { name: METRIC.containerNetworkPackets, type: "counter", unit: "{packet}", points: packets },
        { name: METRIC.containerNetworkErrors, type: "counter", unit: "{error}", points: errors },
        { name: METRIC.containerNetworkDropped, type: "counter", unit: "{packet}", points: dropped },
      );
    }
  }

  if (stats.blkio.length > 0) {
    const bytes: Metric["points"] = [];
    const ops: Metric["points"] = [];
    for (const d of stats.blkio) {
      const r = { [ATTR.device]: d.device, [ATTR.diskIoDirection]: "read" };
      const w = { [ATTR.device]: d.device, [ATTR.diskIoDirection]: "write" };
      bytes.push({ attributes: r, value: d.readBytes }, { attributes: w, value: d.writeBytes });
      ops.push({ attributes: r, value: d.readOps }, { attributes: w, value: d.writeOps });
    }
    out.push(
      { name: METRIC.containerDiskIo, type: "counter", unit: "By", points: bytes },
      { name: METRIC.containerDiskOperations, type: "counter", unit: "{operation}", points: ops },
    );
  }

  one(METRIC.containerPids, "updowncounter", "{process}", stats.pids);
  one(METRIC.containerRestarts, "counter", "{restart}", meta.restartCount);
  out.push(
    { name: METRIC.containerState, type: "gauge", unit: "1", points: [{ attributes: { [ATTR.containerState]: meta.state }, value: 1 }] },
    { name: METRIC.containerHealth, type: "gauge", unit: "1", points: [{ attributes: { [ATTR.containerHealthStatus]: meta.health }, value: 1 }] },
  );
  if (meta.startedAt !== undefined) one(METRIC.containerStartTime, "gauge", "s", meta.startedAt / 1000);
  return out;
}
