import { METRIC, type Metric } from "../../protocol/index.js";

export interface LoadAverage {
  load1: number;
  load5: number;
  load15: number;
}

/** `/proc/loadavg`: `0.97 0.54 0.30 3/110 5546`. */
export function parseLoadavg(text: string): LoadAverage | undefined {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (![a, b, c].every((x) => x !== undefined && Number.isFinite(x))) return undefined;
  return { load1: a as number, load5: b as number, load15: c as number };
}

/** `/proc/uptime`: seconds since boot (first field; the second is idle time summed over CPUs). */
export function parseUptime(text: string): number | undefined {
  const up = Number(text.trim().split(/\s+/)[0]);
  return Number.isFinite(up) ? up : undefined;
}

/** Load averages (hostmetrics names: OTel's conventions have none), uptime and boot time. */
export function systemMetrics(load: LoadAverage | undefined, uptime: number | undefined, bootTime: number | undefined): Metric[] {
  const out: Metric[] = [];
  const gauge = (name: string, unit: string, value: number): Metric => ({ name, type: "gauge", unit, points: [{ value }] });
  if (load) {
    out.push(gauge(METRIC.loadAverage1m, "1", load.load1), gauge(METRIC.loadAverage5m, "1", load.load5), gauge(METRIC.loadAverage15m, "1", load.load15));
  }
  if (uptime !== undefined) out.push(gauge(METRIC.uptime, "s", uptime));
  if (bootTime !== undefined) out.push(gauge(METRIC.bootTime, "s", bootTime));
  return out;
}
