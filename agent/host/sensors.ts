import { ATTR, METRIC, type Metric } from "../../protocol/index.js";

export type LimitType = "high.critical" | "high.degraded" | "low.degraded" | "low.critical";

/** A temperature sensor found once (discovery is the costly part) and read every cycle. */
export interface Sensor {
  /** `hw.id`: stable across cycles, `<chip>_temp1` or `thermal_zone0`. */
  id: string;
  /** `hw.name`: the sensor's label when it has one (`Package id 0`), else its file name. */
  name: string;
  /** `hw.parent`: the hwmon chip (`coretemp`, `nvme`) or `thermal`. */
  parent: string;
  /** File holding millidegrees Celsius. */
  input: string;
  /** Thresholds read at discovery, in °C. */
  limits: { type: LimitType; celsius: number }[];
}

const LIMIT_SUFFIXES: [string, LimitType][] = [
  ["crit", "high.critical"],
  ["max", "high.degraded"],
  ["min", "low.degraded"],
  ["lcrit", "low.critical"],
];

/** Millidegrees Celsius as the kernel writes them (`45000\n`) → °C; undefined when unreadable. */
export function parseMillidegrees(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text.trim());
  return text.trim() !== "" && Number.isFinite(v) ? v / 1000 : undefined;
}

/** A hwmon chip directory's listing, with the few small files discovery needs. */
export interface HwmonChip {
  /** Directory path (`/sys/class/hwmon/hwmon0`). */
  dir: string;
  /** Chip id used in `hw.id` and `hw.parent` (its `name`, made unique by the caller). */
  chip: string;
  files: string[];
  /** Reads one small file of the chip; undefined when it cannot be read. */
  read(file: string): string | undefined;
}

/** The temperature sensors of one hwmon chip: every `tempN_input`, with `tempN_label` and limits. */
export function hwmonSensors(chip: HwmonChip): Sensor[] {
  const out: Sensor[] = [];
  const files = new Set(chip.files);
  for (const file of chip.files) {
    const m = /^(temp\d+)_input$/.exec(file);
    if (!m) continue;
    const sensor = m[1] as string;
    const label = files.has(`${sensor}_label`) ? chip.read(`${sensor}_label`)?.trim() : undefined;
    const limits: Sensor["limits"] = [];
    for (const [suffix, type] of LIMIT_SUFFIXES) {
      if (!files.has(`${sensor}_${suffix}`)) continue;
      const celsius = parseMillidegrees(chip.read(`${sensor}_${suffix}`));
      if (celsius !== undefined) limits.push({ type, celsius });
    }
    out.push({ id: `${chip.chip}_${sensor}`, name: label || sensor, parent: chip.chip, input: `${chip.dir}/${file}`, limits });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
}

/** Gives each chip a unique id: its name, suffixed with its hwmon directory when names repeat (two nvme drives). */
export function chipIds(chips: { dir: string; name: string | undefined }[]): string[] {
  const base = chips.map((c) => (c.name?.trim() || (c.dir.split("/").pop() as string)).replace(/[^\w.-]/g, "_"));
  return base.map((b, i) => (base.filter((x) => x === b).length > 1 ? `${b}_${chips[i]?.dir.split("/").pop()}` : b));
}

/** `hw.temperature` (and `hw.temperature.limit` where the chip states thresholds). */
export function temperatureMetrics(readings: { sensor: Sensor; celsius: number }[]): Metric[] {
  if (readings.length === 0) return [];
  const attrs = (s: Sensor) => ({ [ATTR.hwId]: s.id, [ATTR.hwName]: s.name, [ATTR.hwParent]: s.parent, [ATTR.hwType]: "temperature" });
  const limits = readings.flatMap(({ sensor }) =>
    sensor.limits.map((l) => ({ attributes: { ...attrs(sensor), [ATTR.hwLimitType]: l.type }, value: l.celsius })),
  );
  const out: Metric[] = [{ name: METRIC.temperature, type: "gauge", unit: "Cel", points: readings.map((r) => ({ attributes: attrs(r.sensor), value: r.celsius })) }];
  if (limits.length > 0) out.push({ name: METRIC.temperatureLimit, type: "gauge", unit: "Cel", points: limits });
  return out;
}
