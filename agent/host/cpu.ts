import { ATTR, CPU_MODES, METRIC, type Metric } from "../../protocol/index.js";

/** USER_HZ, the unit of `/proc/stat`: 100 on every Linux architecture Vigie runs on. */
const CLOCK_TICKS = 100;

export interface CpuTimes {
  /** Logical CPU number, from the `cpuN` line. */
  cpu: number;
  /** Seconds per mode, in CPU_MODES order (a column the kernel does not have yet counts 0). */
  seconds: number[];
}

export interface ProcStat {
  cpus: CpuTimes[];
  /** Boot time, seconds since the epoch (`btime`). */
  bootTime?: number;
}

/** Per-core CPU times and boot time from `/proc/stat` (the aggregate `cpu` line is a sum and is left out). */
export function parseProcStat(text: string): ProcStat {
  const cpus: CpuTimes[] = [];
  let bootTime: number | undefined;
  for (const line of text.split("\n")) {
    if (line.startsWith("cpu") && line[3] !== " ") {
      const fields = line.split(/\s+/);
      const cpu = Number((fields[0] as string).slice(3));
      if (!Number.isInteger(cpu)) continue;
      const seconds = CPU_MODES.map((_, i) => Number(fields[i + 1] ?? 0) / CLOCK_TICKS);
      cpus.push({ cpu, seconds: seconds.map((s) => (Number.isFinite(s) ? s : 0)) });
    } else if (line.startsWith("btime ")) {
      const t = Number(line.slice(6));
      if (Number.isFinite(t)) bootTime = t;
    }
  }
  return { cpus, bootTime };
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
