/**
 * Timestamps as the logs data model wants them: nanoseconds since the epoch, as decimal strings
 * (they exceed Number.MAX_SAFE_INTEGER). Built by string arithmetic, without BigInt, because the
 * engine's timestamp is parsed on every line.
 */

const RFC3339 = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?\d*(Z|z|[+-]\d\d:?\d\d)?$/;

/** Earliest and latest instants accepted from outside, in seconds: 2000-01-01 and 2200-01-01. */
const MIN_S = 946_684_800;
const MAX_S = 7_258_118_400;

function nanos(seconds: number, fraction9: string): string | undefined {
  if (!Number.isFinite(seconds) || seconds < MIN_S || seconds >= MAX_S) return undefined;
  return `${seconds}${fraction9}`;
}

/**
 * An RFC 3339 / ISO 8601 date-time (`2026-12-02T15:45:31.123456789Z`, with a zone offset, or with
 * a space and no zone, read as UTC) to nanoseconds; undefined when it is not one or is outside
 * 2000–2200.
 */
export function parseRfc3339(s: string): string | undefined {
  if (s.length < 19 || s.length > 40) return undefined;
  const fast = sameSecond(s);
  if (fast !== undefined) return fast;
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const nanos = slowRfc3339(m);
  if (nanos !== undefined) remember(s, nanos);
  return nanos;
}

/*
 * Consecutive log lines are mostly within one second of each other: the seconds of the last
 * timestamp are kept with its date-time and zone, and a timestamp that shares them only has its
 * fraction read. The engine's timestamp is parsed on every line; this halves its cost.
 */
let lastHead = "";
let lastZone = "";
let lastSeconds = "";

function splitFraction(s: string): { frac: string; zone: string } | undefined {
  let i = 19;
  const c = s.charCodeAt(i);
  let frac = "";
  if (c === 0x2e /* . */ || c === 0x2c /* , */) {
    i++;
    const start = i;
    while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    if (i === start) return undefined;
    frac = s.slice(start, Math.min(i, start + 9));
  }
  return { frac, zone: s.slice(i) };
}

function sameSecond(s: string): string | undefined {
  if (lastHead === "" || !s.startsWith(lastHead)) return undefined;
  const parts = splitFraction(s);
  if (!parts || parts.zone !== lastZone) return undefined;
  return `${lastSeconds}${parts.frac.padEnd(9, "0")}`;
}

function remember(s: string, nanos: string): void {
  const parts = splitFraction(s);
  if (!parts || !/^(?:Z|z|[+-]\d\d:?\d\d)?$/.test(parts.zone)) return;
  lastHead = s.slice(0, 19);
  lastZone = parts.zone;
  lastSeconds = nanos.slice(0, -9);
}

function slowRfc3339(m: RegExpExecArray): string | undefined {
  const [, y, mo, d, h, mi, sec, frac = "", zone] = m;
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec));
  if (Number.isNaN(ms)) return undefined;
  if (zone && zone !== "Z" && zone !== "z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    const digits = zone.slice(1).replace(":", "");
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  return nanos(ms / 1000, frac.padEnd(9, "0"));
}

/**
 * A time field of an application's log line: an RFC 3339 string, or a number (or digit string)
 * of seconds, milliseconds, microseconds or nanoseconds since the epoch, told apart by magnitude
 * (pino writes milliseconds, zap fractional seconds).
 */
export function parseTimeValue(v: unknown): string | undefined {
  if (typeof v === "string") {
    if (/^\d{10,19}(\.\d+)?$/.test(v)) return parseTimeValue(Number(v));
    return parseRfc3339(v);
  }
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) return undefined;
  let seconds: number;
  let fraction: number; // nanoseconds within the second
  if (v < 1e11) {
    seconds = Math.floor(v);
    fraction = Math.round((v - seconds) * 1e9);
  } else if (v < 1e14) {
    seconds = Math.floor(v / 1e3);
    fraction = Math.round((v - seconds * 1e3) * 1e6);
  } else if (v < 1e17) {
    seconds = Math.floor(v / 1e6);
    fraction = Math.round((v - seconds * 1e6) * 1e3);
  } else {
    seconds = Math.floor(v / 1e9);
    fraction = Math.max(0, Math.round(v - seconds * 1e9));
  }
  fraction = Math.min(999_999_999, Math.max(0, fraction));
  return nanos(seconds, String(fraction).padStart(9, "0"));
}

/** Nanoseconds (decimal string) from milliseconds since the epoch: the injected clock's unit. */
export function msToNanos(ms: number): string {
  const whole = Math.floor(ms);
  return `${whole}${String(Math.round((ms - whole) * 1e6)).padStart(6, "0")}`;
}

/** Orders two nanosecond strings (no leading zeros). */
export function compareNanos(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The Docker API's `since` parameter (`<seconds>.<nanoseconds>`) for a nanosecond string. */
export function nanosToSince(n: string): string {
  if (n.length <= 9) return `0.${n.padStart(9, "0")}`;
  return `${n.slice(0, -9)}.${n.slice(-9)}`;
}

/** Absolute difference of two nanosecond strings, in seconds (precise enough for bounds). */
export function diffSeconds(a: string, b: string): number {
  return Math.abs(Number(a.slice(0, -9) || "0") - Number(b.slice(0, -9) || "0"));
}
