/**
 * Severity as the OpenTelemetry logs data model numbers it (1–24, 0 unspecified), grouped in
 * its six ranges. Compared by number, never by text; shown and counted by range name.
 */
export const SEVERITY_RANGES = ["UNSPECIFIED", "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const;
export type SeverityRange = (typeof SEVERITY_RANGES)[number];

/** The range a severity number falls in: 0 → UNSPECIFIED, 1–4 TRACE, …, 21–24 FATAL. */
export function severityRange(n: number): SeverityRange {
  if (!(n >= 1 && n <= 24)) return "UNSPECIFIED";
  return SEVERITY_RANGES[Math.floor((n - 1) / 4) + 1] as SeverityRange;
}

/** The lowest number of a range (what a minimum severity of `error` means: 17 and above). */
export function rangeFloor(range: SeverityRange): number {
  const i = SEVERITY_RANGES.indexOf(range);
  return i <= 0 ? 0 : (i - 1) * 4 + 1;
}

/** Source words to numbers, after the data model's appendix B (syslog's sense of `critical`). */
const WORDS: Record<string, number> = {
  trace: 1, debug: 5, verbose: 5, info: 9, informational: 9, notice: 10, warn: 13, warning: 13,
  error: 17, err: 17, crit: 18, critical: 18, alert: 19, panic: 19, fatal: 21, emerg: 21, emergency: 21,
};

/**
 * A minimum severity given by a person: a number 0–24, a range name (`error`, `WARN`) or a
 * common source word (`err`, `crit`, `notice`). Undefined when unreadable.
 */
export function parseSeverity(text: string): number | undefined {
  const s = text.trim().toLowerCase();
  if (/^\d{1,2}$/.test(s)) {
    const n = Number(s);
    return n <= 24 ? n : undefined;
  }
  return Object.hasOwn(WORDS, s) ? WORDS[s] : undefined;
}
