import type { Attributes, LogRecord } from "../../protocol/index.js";
import type { Group } from "./multiline.js";
import type { AttrValue, Parsed } from "./parse/index.js";
import { cleanText } from "./text.js";
import { diffSeconds } from "./timestamp.js";

/** Attribute names Vigie adds where OpenTelemetry has none. */
export const LOG_ATTR = {
  iostream: "log.iostream",
  /** Lines joined into this record (a stack trace), when more than one. */
  lines: "vigie.log.lines",
  /** The line was longer than the maximum and was cut. */
  truncated: "vigie.log.truncated",
  /** Its UTF-8 length before it was cut. */
  originalBytes: "vigie.log.original_bytes",
  /** Lines of this container dropped by its rate limit since the last report (on a report record). */
  dropped: "vigie.log.dropped",
} as const;

/**
 * The record of one joined group: the application's time when it is within `maxSkewS` of the
 * engine's (a wrong clock or a hostile field does not move a line by years), else the engine's.
 */
export function toRecord(group: Group<unknown>, parsed: Parsed, resource: Attributes, observedTimeUnixNano: string, maxSkewS: number): LogRecord {
  const attributes: Record<string, AttrValue> = { [LOG_ATTR.iostream]: group.stream };
  if (parsed.attributes) {
    for (const k in parsed.attributes) {
      const v = parsed.attributes[k] as AttrValue;
      attributes[k] = parsed.format === "json" && typeof v === "string" ? cleanText(v) : v;
    }
  }
  if (group.lines > 1) attributes[LOG_ATTR.lines] = group.lines;
  if (group.truncatedBytes !== undefined) {
    attributes[LOG_ATTR.truncated] = true;
    attributes[LOG_ATTR.originalBytes] = group.truncatedBytes;
  }
  const time = parsed.timeUnixNano !== undefined && diffSeconds(parsed.timeUnixNano, group.timeUnixNano) <= maxSkewS ? parsed.timeUnixNano : group.timeUnixNano;
  const record: LogRecord = {
    timeUnixNano: time,
    observedTimeUnixNano,
    severityNumber: parsed.severity?.number ?? 0,
    body: parsed.format === "json" ? cleanText(parsed.body) : parsed.body,
    attributes,
    resource,
  };
  const text = parsed.severity?.text;
  if (text) record.severityText = text.length > 64 ? text.slice(0, 64) : text;
  if (parsed.traceId) record.traceId = parsed.traceId;
  if (parsed.spanId) record.spanId = parsed.spanId;
  return record;
}
