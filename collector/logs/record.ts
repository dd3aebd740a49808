import type { LogRecord } from "../../protocol/index.js";

/** Bounds applied to every record before it is stored (hostile input is normal input). */
export interface RecordLimits {
  /** Longest body kept, in UTF-16 code units of its text; longer is cut and flagged `log.truncated`. */
  maxBodyChars: number;
  /** Most characters of a record's attributes as JSON; beyond, they are dropped and counted. */
  maxAttributesChars: number;
  /** Most attributes per record. */
  maxAttributes: number;
  /** How far ahead of the collector's clock a record's time may be (ms); further, the receive time is used. */
  maxFutureSkewMs: number;
  /** Records older than this (ms before receipt) are not stored: retention would remove them at once. */
  retentionMs: number;
}

/** Identity of a record's source, from its resource: what the search filters on. */
export interface Source {
  nodeId: string;
  host: string;
  stack: string;
  service: string;
  /** The Swarm service name with its stack prefix (`shop_web`), or the service. */
  swarmService: string;
  container: string;
  containerId: string;
  /** The resource as sent (bounded by the wire schema), JSON. */
  resource: string;
}

/** A record ready for the store. */
export interface Row {
  /** Unix ms of the record (its source time, or the observed/receive time when it had none or an insane one). */
  time: number;
  /** Nanoseconds within `time`'s millisecond, so `timeUnixNano` comes back exactly. */
  timeNs: number;
  observed: string | null;
  severity: number;
  severityText: string | null;
  /** Text for the full-text index: the body string, or the JSON of a structured body. */
  body: string;
  structured: boolean;
  attributes: string | null;
  traceId: string | null;
  spanId: string | null;
  /** `log.record.uid` when the record has a usable one: another record of its source with the same uid is a repeat. */
  uid: string | null;
}

export type Normalized = { ok: true; row: Row } | { ok: false; reason: "expired" };

/** OpenTelemetry's attribute for a record's identity: two records with the same one are the same record. */
export const RECORD_UID_ATTR = "log.record.uid";
/** A uid fit to be a record's identity: printable ASCII, no longer than a ULID, a UUID or Vigie's own need. */
const UID = /^[\x21-\x7e]{1,128}$/;

const HEX32 = /^[0-9a-f]{32}$/i;
const HEX16 = /^[0-9a-f]{16}$/i;

/** Unix ms and the nanoseconds within it, from a decimal `*UnixNano` string (≤ 20 digits, checked by the wire schema). */
export function splitNanos(text: string): { ms: number; ns: number } {
  const ms = text.length > 6 ? Number(text.slice(0, -6)) : 0;
  const ns = Number(text.length > 6 ? text.slice(-6) : text);
  return { ms, ns };
}

/** `timeUnixNano` back from the stored pair. */
export function joinNanos(ms: number, ns: number): string {
  return ms === 0 ? String(ns) : `${ms}${String(ns).padStart(6, "0")}`;
}

/**
 * Bounds one wire record and shapes it for the store. Time: the data model says a record
 * without a source time (0) takes its observed time; a time further ahead than the allowed skew
 * (a wrong clock, or a lie) takes the receive time and keeps the original in
 * `vigie.original_time_unix_nano`. A record already older than the retention is refused.
 */
export function normalizeRecord(r: LogRecord, receivedAt: number, limits: RecordLimits): Normalized {
  const attributes: Record<string, unknown> = {};
  let time = splitNanos(r.timeUnixNano);
  if (time.ms === 0 && time.ns === 0 && r.observedTimeUnixNano) time = splitNanos(r.observedTimeUnixNano);
  if (time.ms === 0 && time.ns === 0) time = { ms: receivedAt, ns: 0 };
  else if (time.ms > receivedAt + limits.maxFutureSkewMs) {
    attributes["vigie.original_time_unix_nano"] = r.timeUnixNano;
    time = { ms: receivedAt, ns: 0 };
  }
  if (time.ms < receivedAt - limits.retentionMs) return { ok: false, reason: "expired" };

  const structured = typeof r.body !== "string";
  let body = typeof r.body === "string" ? wellFormed(r.body) : safeJson(r.body);
  if (body.length > limits.maxBodyChars) {
    attributes["log.truncated"] = true;
    attributes["log.original_length"] = body.length;
    body = cut(body, limits.maxBodyChars);
  }
  // A structured body cut in the middle is no longer JSON: it is kept as the text it was.
  const keepStructured = structured && attributes["log.truncated"] !== true;

  // A usable uid is kept in its own column (and given back with the record), not twice.
  const uidValue = r.attributes?.[RECORD_UID_ATTR];
  const uid = typeof uidValue === "string" && UID.test(uidValue) ? uidValue : null;

  let attrText: string | null = null;
  if (r.attributes || Object.keys(attributes).length > 0) {
    const entries = Object.entries(r.attributes ?? {}).filter(([k]) => uid === null || k !== RECORD_UID_ATTR);
    let dropped = Math.max(0, entries.length - limits.maxAttributes);
    const kept: Record<string, unknown> = Object.fromEntries(entries.slice(0, limits.maxAttributes).filter(([k]) => k.length <= 256));
    dropped += Math.min(entries.length, limits.maxAttributes) - Object.keys(kept).length;
    let text = safeJson({ ...kept, ...attributes });
    if (text.length > limits.maxAttributesChars) {
      dropped += Object.keys(kept).length;
      text = safeJson({ ...attributes, "vigie.attributes_dropped": dropped });
    } else if (dropped > 0) {
      text = safeJson({ ...kept, ...attributes, "vigie.attributes_dropped": dropped });
    }
    attrText = text === "{}" ? null : text;
  }

  return {
    ok: true,
    row: {
      time: time.ms,
      timeNs: time.ns,
      observed: r.observedTimeUnixNano ?? null,
      severity: r.severityNumber,
      severityText: r.severityText !== undefined ? wellFormed(r.severityText) : null,
      body,
      structured: keepStructured,
      attributes: attrText,
      traceId: r.traceId && HEX32.test(r.traceId) ? r.traceId.toLowerCase() : null,
      spanId: r.spanId && HEX16.test(r.spanId) ? r.spanId.toLowerCase() : null,
      uid,
    },
  };
}

/** The source a record's resource names, with the sending node's identity. */
export function sourceOf(resource: LogRecord["resource"], node: { id: string; hostname: string }): Source {
  const str = (k: string) => {
    const v = resource[k];
    return v === undefined ? "" : String(v);
  };
  const stack = str("service.namespace") || str("docker.stack.namespace");
  const service = str("service.name");
  return {
    nodeId: node.id,
    host: node.hostname,
    stack,
    service,
    swarmService: str("docker.swarm.service.name") || (stack && service ? `${stack}_${service}` : service),
    container: str("container.name"),
    containerId: str("container.id"),
    resource: safeJson(resource),
  };
}

/** JSON that never throws (cycles cannot come off the wire, but BigInt-free is not guaranteed by types). */
function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? "null";
  } catch {
    return '"[unserializable]"';
  }
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A lone surrogate (text cut mid-character upstream) becomes U+FFFD here, not three of them in SQLite's UTF-8. */
function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, "\ufffd");
}

/** Cuts without splitting a surrogate pair. */
function cut(s: string, n: number): string {
  const code = s.charCodeAt(n - 1);
  return code >= 0xd800 && code <= 0xdbff ? s.slice(0, n - 1) : s.slice(0, n);
}
