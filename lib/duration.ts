import { z } from "zod";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration such as `250ms`, `10s`, `5m`, `1h30m`, `7d` into milliseconds.
 * A bare number is milliseconds. Returns undefined for anything else (callers report the error).
 */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isFinite(text) && text >= 0 ? text : undefined;
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * (UNITS[m[2] as string] as number);
    matched = re.lastIndex;
  }
  return matched === s.length && matched > 0 ? total : undefined;
}

export interface DurationSchemaOptions {
  /** Smallest accepted value, ms. Default 0. */
  min?: number;
  /** Largest accepted value, ms. Default: none. */
  max?: number;
}

/**
 * The one zod schema of a duration in Vigie's configuration and labels: `10s`, `5m`, `1h30m`,
 * `7d`, or a number of milliseconds, → milliseconds. The message says what was given, for the
 * places (labels) whose error path does not show the value.
 */
export function durationSchema(options: DurationSchemaOptions = {}) {
  const min = options.min ?? 0;
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected a duration such as 500ms, 10s, 5m, 1h or 7d, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    if (ms < min) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be at least ${formatDuration(min)}, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    if (options.max !== undefined && ms > options.max) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `must be at most ${formatDuration(options.max)}, got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return ms;
  });
}

export function formatDuration(ms: number): string {
  if (ms % 86_400_000 === 0 && ms > 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** Parses `512MiB`, `1GB`, `1048576` into bytes; undefined if unreadable. */
export function parseBytes(text: string | number): number | undefined {
  if (typeof text === "number") return Number.isFinite(text) && text >= 0 ? Math.floor(text) : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = SIZE_UNITS[(m[2] ?? "").toLowerCase()];
  return unit === undefined ? undefined : Math.floor(Number(m[1]) * unit);
}
