/**
 * Severity words to OpenTelemetry severity numbers (logs data model, appendix B): trace 1,
 * debug 5, info 9, notice 10, warn 13, error 17, critical 18, alert/panic 19, fatal/emergency 21.
 * Compare severities by number, never by text; the word is kept as `severityText`.
 */
export interface Severity {
  number: number;
  /** The word as the source wrote it. */
  text: string;
}

const WORDS: Record<string, number> = {
  trace: 1,
  finest: 1,
  debug: 5,
  dbug: 5,
  verbose: 5,
  finer: 5,
  fine: 6,
  config: 7,
  info: 9,
  information: 9,
  informational: 9,
  notice: 10,
  warn: 13,
  warning: 13,
  error: 17,
  err: 17,
  eror: 17,
  severe: 17,
  crit: 18,
  critical: 18,
  dpanic: 18,
  alert: 19,
  panic: 19,
  fatal: 21,
  emerg: 21,
  emergency: 21,
};

/** The syslog severities 0–7 (RFC 5424), in OTel numbers: emerg, alert, crit, err, warning, notice, info, debug. */
export const SYSLOG_SEVERITY = [21, 19, 18, 17, 13, 10, 9, 5] as const;

/** pino and bunyan write numeric levels: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal. */
const PINO: Record<number, [number, string]> = { 10: [1, "trace"], 20: [5, "debug"], 30: [9, "info"], 40: [13, "warn"], 50: [17, "error"], 60: [21, "fatal"] };

/** A severity word (any case), or undefined when it is not one. */
export function severityOfWord(word: string): Severity | undefined {
  if (word.length === 0 || word.length > 16) return undefined;
  const n = WORDS[word.toLowerCase()];
  return n === undefined ? undefined : { number: n, text: word };
}

/**
 * A level field's value: a word, or a number. Numbers 10, 20, …, 60 are read as pino/bunyan
 * levels (the common JSON loggers that write numbers), other integers 1–24 as OTel numbers.
 */
export function severityOfValue(value: unknown): Severity | undefined {
  if (typeof value === "string") {
    const s = severityOfWord(value.trim());
    if (s) return s;
    return /^\d{1,2}$/.test(value.trim()) ? severityOfValue(Number(value.trim())) : undefined;
  }
  if (typeof value === "number" && Number.isInteger(value)) {
    const pino = PINO[value];
    if (pino) return { number: pino[0], text: pino[1] };
    if (value >= 1 && value <= 24) return { number: value, text: String(value) };
  }
  return undefined;
}
