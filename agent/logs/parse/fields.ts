import { severityOfValue } from "../severity.js";
import { parseTimeValue } from "../timestamp.js";
import type { AttrValue, FieldLimits, Parsed } from "./parsed.js";

/**
 * The fields of a structured line (JSON object, logfmt pairs) that mean something to the logs
 * data model, by the names the common loggers use (pino, bunyan, zap, logrus, slog, winston,
 * python-json-logger, ECS). The first present wins.
 */
const LEVEL_KEYS = ["level", "lvl", "severity", "log.level", "levelname", "loglevel"];
const MESSAGE_KEYS = ["msg", "message", "@message"];
const TIME_KEYS = ["time", "ts", "@timestamp", "timestamp"];
const TRACE_KEYS = ["trace_id", "traceId", "trace.id", "traceid"];
const SPAN_KEYS = ["span_id", "spanId", "span.id", "spanid"];

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const MAX_DEPTH = 4;
const MAX_KEY_LENGTH = 128;

/** A flat view of a structured line: dotted keys for nested objects (`log.level`, `err.stack`). */
export type Fields = Map<string, unknown>;

/** Flattens a JSON object into dotted keys, bounded in depth and count (the rest is counted). */
export function flatten(obj: Record<string, unknown>, limit: number): { fields: Fields; dropped: number } {
  const fields: Fields = new Map();
  let dropped = 0;
  const walk = (o: Record<string, unknown>, prefix: string, depth: number): void => {
    for (const key in o) {
      if (!Object.prototype.hasOwnProperty.call(o, key)) continue;
      const v = o[key];
      const k = prefix ? `${prefix}.${key}` : key;
      if (v !== null && typeof v === "object" && !Array.isArray(v) && depth < MAX_DEPTH) {
        walk(v as Record<string, unknown>, k, depth + 1);
      } else if (fields.size < limit && k.length <= MAX_KEY_LENGTH) {
        fields.set(k, v);
      } else {
        dropped++;
      }
    }
  };
  walk(obj, "", 0);
  return { fields, dropped };
}

function take(fields: Fields, keys: readonly string[]): unknown {
  for (const k of keys) {
    if (fields.has(k)) {
      const v = fields.get(k);
      fields.delete(k);
      return v;
    }
  }
  return undefined;
}

function attrValue(v: unknown, maxLength: number): AttrValue {
  if (typeof v === "string") return v.length > maxLength ? v.slice(0, maxLength) : v;
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (typeof v === "boolean") return v;
  const s = v === null || v === undefined ? "null" : (JSON.stringify(v) ?? "");
  return s.length > maxLength ? s.slice(0, maxLength) : s;
}

/**
 * Reads the data-model fields out of a structured line. `fallbackBody` is the body when the
 * line has no message field (the line itself, so nothing is lost and it stays searchable).
 */
export function fromFields(fields: Fields, dropped: number, format: Parsed["format"], fallbackBody: string, limits: FieldLimits): Parsed {
  const out: Parsed = { body: fallbackBody, format };
  const level = take(fields, LEVEL_KEYS);
  const severity = level === undefined ? undefined : severityOfValue(level);
  if (severity) out.severity = severity;
  else if (level !== undefined) fields.set("level", level); // not a level we know: keep it as it was
  const message = take(fields, MESSAGE_KEYS);
  if (message !== undefined && message !== null) out.body = typeof message === "string" ? message : JSON.stringify(message);
  const time = take(fields, TIME_KEYS);
  const nanos = time === undefined ? undefined : parseTimeValue(time);
  if (nanos) out.timeUnixNano = nanos;
  else if (time !== undefined) fields.set("time", time);
  const trace = take(fields, TRACE_KEYS);
  if (typeof trace === "string" && TRACE_ID.test(trace.toLowerCase())) out.traceId = trace.toLowerCase();
  else if (trace !== undefined) fields.set("trace_id", trace);
  const span = take(fields, SPAN_KEYS);
  if (typeof span === "string" && SPAN_ID.test(span.toLowerCase())) out.spanId = span.toLowerCase();
  else if (span !== undefined) fields.set("span_id", span);
  if (message === undefined || message === null) return out; // the body is the whole line: its fields would repeat it
  if (fields.size > 0 || dropped > 0) {
    const attributes: Record<string, AttrValue> = {};
    for (const [k, v] of fields) attributes[k] = attrValue(v, limits.maxValueLength);
    if (dropped > 0) attributes["vigie.log.dropped_attributes"] = dropped;
    out.attributes = attributes;
  }
  return out;
}
