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
  /** Context switches since boot (`ctxt`). */
  contextSwitches?: number;
  /** Interrupts serviced since boot (first number of `intr`). */
  interrupts?: number;
  /** Processes and threads created since boot (`processes`). */
  forks?: number;
  procsRunning?: number;
  procsBlocked?: number;
}

/** The single-number lines of `/proc/stat` beside `btime`, and where they go. */
const COUNTS: Record<string, keyof Omit<ProcStat, "cpus">> = {
  btime: "bootTime",
  ctxt: "contextSwitches",
  intr: "interrupts",
  processes: "forks",
  procs_running: "procsRunning",
  procs_blocked: "procsBlocked",
};

/** Per-core CPU times and boot time from `/proc/stat` (the aggregate `cpu` line is a sum and is left out). */
export function parseProcStat(text: string): ProcStat {
  const cpus: CpuTimes[] = [];
  const out: ProcStat = { cpus };
  for (const line of text.split("\n")) {
    if (line.startsWith("cpu") && line[3] !== " ") {
      const fields = line.split(/\s+/);
      const cpu = Number((fields[0] as string).slice(3));
      if (!Number.isInteger(cpu)) continue;
      const seconds = CPU_MODES.map((_, i) => Number(fields[i + 1] ?? 0) / CLOCK_TICKS);
      cpus.push({ cpu, seconds: seconds.map((s) => (Number.isFinite(s) ? s : 0)) });
    } else {
      const space = line.indexOf(" ");
      const name = line.slice(0, space);
      if (space < 0 || !Object.hasOwn(COUNTS, name)) continue;
      const key = COUNTS[name] as keyof Omit<ProcStat, "cpus">;
      // `intr` goes on with one count per interrupt line: only its total is kept.
      const end = line.indexOf(" ", space + 1);
      const n = Number(line.slice(space + 1, end < 0 ? undefined : end));
      if (Number.isFinite(n) && n >= 0) out[key] = n;
    }
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
