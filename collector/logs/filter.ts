import { parseDuration } from "../../lib/index.js";
import { decodePage, decodeTail } from "./cursor.js";
import { ftsQuery } from "./fts.js";
import { parseSeverity } from "./severity.js";
import type { LogFilter } from "./search.js";

/** The query string of GET /api/v1/logs, as its JSON schema lets it through. */
export interface LogQueryParams {
  node?: string;
  stack?: string;
  service?: string;
  container?: string;
  severity?: string;
  /** The same as `severity` (the CLI's and operators' word); both given must agree. */
  level?: string;
  since?: string;
  until?: string;
  q?: string;
  cursor?: string;
  after?: string;
  limit?: number;
}

/** A parameter the caller got wrong: which one, and a sentence saying why. */
export interface FilterError {
  field: string;
  message: string;
}

/** Latest time accepted: year 9999. */
const MAX_TIME_MS = 253_402_300_799_999;
/** Longest duration accepted for `since`/`until` (ten years). */
const MAX_AGO_MS = 10 * 366 * 86_400_000;

/**
 * Parses and bounds the search parameters into a store filter (pure: `now` is given). Times are a
 * duration back from now (`10m`, `1h30m`), RFC 3339, or Unix milliseconds.
 */
export function parseLogQuery(q: LogQueryParams, now: number, stacks: ReadonlySet<string> | undefined): { ok: true; filter: LogFilter } | { ok: false; error: FilterError } {
  const filter: LogFilter = { limit: q.limit ?? 100, stacks };
  for (const k of ["node", "stack", "service", "container"] as const) if (q[k] !== undefined) filter[k] = q[k];
  if (q.severity !== undefined && q.level !== undefined && q.severity !== q.level) return fail("level", "level is another name for severity: give one, or the same value to both");
  const severity = q.severity ?? q.level;
  if (severity !== undefined) {
    const field = q.severity !== undefined ? "severity" : "level";
    const n = parseSeverity(severity);
    if (n === undefined) return fail(field, `${field} must be a number 0-24 or a level (trace, debug, info, warn, error, fatal), not ${JSON.stringify(severity)}`);
    filter.minSeverity = n;
  }
  for (const k of ["since", "until"] as const) {
    const text = q[k];
    if (text === undefined) continue;
    const t = parseTime(text, now);
    if (t === undefined) return fail(k, `${k} must be a duration back from now (10m, 2h), RFC 3339 (2026-11-27T18:00:00Z) or Unix milliseconds, not ${JSON.stringify(text)}`);
    filter[k] = t;
  }
  if (filter.since !== undefined && filter.until !== undefined && filter.since > filter.until) return fail("since", "since must not be after until");
  if (q.q !== undefined && q.q.trim() !== "") {
    const m = ftsQuery(q.q);
    if (!m.ok) return fail("q", m.reason);
    filter.match = m.match;
  }
  if (q.cursor !== undefined && q.after !== undefined) return fail("after", "give cursor (older records) or after (newer records), not both");
  if (q.cursor !== undefined) {
    const c = decodePage(q.cursor);
    if (!c) return fail("cursor", "cursor is not one this API returned as next");
    filter.cursor = c;
  }
  if (q.after !== undefined) {
    const id = decodeTail(q.after);
    if (id === undefined) return fail("after", "after is not one this API returned as tail");
    filter.after = id;
  }
  return { ok: true, filter };
}

/** Unix ms from a duration back from `now`, RFC 3339, or Unix ms; undefined when unreadable or out of bounds. */
export function parseTime(text: string, now: number): number | undefined {
  const s = text.trim();
  if (/^\d{1,16}$/.test(s)) {
    const ms = Number(s);
    return ms <= MAX_TIME_MS ? ms : undefined;
  }
  if (/^\d{4}-\d{2}-\d{2}T/.test(s)) {
    const t = Date.parse(s);
    return Number.isFinite(t) && t >= 0 && t <= MAX_TIME_MS ? t : undefined;
  }
  const ago = parseDuration(s);
  return ago !== undefined && ago <= MAX_AGO_MS ? now - ago : undefined;
}

function fail(field: string, message: string): { ok: false; error: FilterError } {
  return { ok: false, error: { field, message } };
}
