import { CPU_MODES, METRIC, ATTR, type Metric } from "../../protocol/index.js";

/** USER_HZ: the unit of /proc/stat. 100 on every Linux architecture Vigie runs on. */
const CLOCK_TICKS = 100;

export interface CpuTimes {
  /** Logical CPU number, from the `cpuN` line. */
  cpu: number;
  /** Seconds per mode, in CPU_MODES order. */
  seconds: number[];
}

/** Per-core CPU times from `/proc/stat` (the aggregate `cpu` line is left out: it is a sum). */
export function parseProcStat(text: string): { cpus: CpuTimes[]; bootTime?: number } {
  const cpus: CpuTimes[] = [];
  let bootTime: number | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("cpu") && line[3] !== " ") {
      const fields = line.split(/\s+/);
      const cpu = Number((fields[0] as string).slice(3));
      if (!Number.isInteger(cpu)) continue;
      const seconds = CPU_MODES.map((_, i) => Number(fields[i + 1] ?? 0) / CLOCK_TICKS);
      cpus.push({ cpu, seconds });
    } else if (line.startsWith("btime ")) {
      bootTime = Number(line.slice(6));
    }
  }
  return { cpus, bootTime };
}

/** `/proc/meminfo` as bytes per key (`MemTotal`, `MemAvailable`, …). */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^([\w()]+):\s+(\d+)(?:\s+kB)?/.exec(line);
    if (m) out.set(m[1] as string, Number(m[2]) * (line.endsWith("kB") ? 1024 : 1));
  }
  return out;
}

export function cpuMetrics(cpus: CpuTimes[]): Metric[] {
  const points = [];
  for (const c of cpus) {
    for (let i = 0; i < CPU_MODES.length; i++) {
      points.push({ attributes: { [ATTR.cpuMode]: CPU_MODES[i] as string, [ATTR.cpuLogicalNumber]: c.cpu }, value: c.seconds[i] as number });
    }
  }
  return [
    { name: METRIC.cpuTime, type: "counter", unit: "s", points },
    { name: METRIC.cpuLogicalCount, type: "updowncounter", unit: "{cpu}", points: [{ value: cpus.length }] },
  ];
}

/**
 * Memory in OTel's states. `used` follows `free`'s definition (total − free − buffers − cached),
 * so used + free + buffers + cached = total; `MemAvailable` is its own metric.
 */
export function memoryMetrics(mem: Map<string, number>): Metric[] {
  const total = mem.get("MemTotal") ?? 0;
  const free = mem.get("MemFree") ?? 0;
  const buffers = mem.get("Buffers") ?? 0;
  const cached = (mem.get("Cached") ?? 0) + (mem.get("SReclaimable") ?? 0);
  const used = Math.max(0, total - free - buffers - cached);
  const state = (s: string, value: number) => ({ attributes: { [ATTR.memoryState]: s }, value });
  const out: Metric[] = [
    { name: METRIC.memoryUsage, type: "updowncounter", unit: "By", points: [state("used", used), state("free", free), state("buffers", buffers), state("cached", cached)] },
    { name: METRIC.memoryLimit, type: "updowncounter", unit: "By", points: [{ value: total }] },
  ];
  const available = mem.get("MemAvailable");
  if (available !== undefined) out.push({ name: METRIC.memoryAvailable, type: "updowncounter", unit: "By", points: [{ value: available }] });
  return out;
}
