import type { ZodIssue } from "zod";
import { Envelope, MetricsHeader } from "./envelope.js";
import { checkMetricsPayload } from "./metrics-check.js";
import { EncodedResource } from "./encoded.js";
import { MAX_MESSAGE_BYTES, SCHEMA, parseSubject } from "./subjects.js";

/** Why a message was refused; stable codes, used as the dead-letter reason and a metric label. */
export type DecodeErrorCode =
  | "oversized"
  | "malformed_json"
  | "not_an_object"
  | "unsupported_version"
  | "unknown_kind"
  | "invalid"
  | "subject_mismatch"
  /** A timestamp outside the collector's clock-skew policy (collector/ingest/clock.ts). */
  | "clock_skew"
  /** Well-formed, but past a bound on resources, metrics, points, attributes or nesting. */
  | "too_large";

export class DecodeError extends Error {
  override readonly name = "DecodeError";
  constructor(
    readonly code: DecodeErrorCode,
    /** Where in the message the fault is (`payload.resources[0].metrics[1].value`), or "" for the whole. */
    readonly path: string,
    message: string,
  ) {
    super(path ? `${path}: ${message}` : message);
  }
}

export type Decoded = { ok: true; value: Envelope } | { ok: false; error: DecodeError };

export interface DecodeOptions {
  /** Largest accepted message in bytes. Default 1 MiB. */
  maxBytes?: number;
  /** When given, the envelope's kind and node id must agree with the subject it came on. */
  subject?: string;
}

const KNOWN_KINDS = new Set(["metrics", "status", "logs", "events"]);

/** Turns bytes off the wire into a typed envelope, or says exactly what is wrong and where. */
export function decode(data: Uint8Array | string, options: DecodeOptions = {}): Decoded {
  const maxBytes = options.maxBytes ?? MAX_MESSAGE_BYTES;
  const size = typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
  if (size > maxBytes) return fail("oversized", "", `message of ${size} bytes exceeds the limit of ${maxBytes}`);

  let raw: unknown;
  try {
    raw = JSON.parse(typeof data === "string" ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8"));
  } catch (err) {
    return fail("malformed_json", "", `not valid JSON (${(err as Error).message})`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return fail("not_an_object", "", "envelope must be a JSON object");

  const obj = raw as Record<string, unknown>;
  if (obj.schema !== SCHEMA) {
    return fail("unsupported_version", "schema", `unsupported schema ${JSON.stringify(obj.schema)}; this collector accepts ${SCHEMA}`);
  }
  if (typeof obj.kind !== "string" || !KNOWN_KINDS.has(obj.kind)) {
    return fail("unknown_kind", "kind", `unknown kind ${JSON.stringify(obj.kind)}; expected one of ${[...KNOWN_KINDS].join(", ")}`);
  }

  let value: Envelope;
  if (obj.kind === "metrics") {
    // The bulk of the traffic: zod for the header, the hand-written check for the payload.
    const header = MetricsHeader.safeParse(raw);
    if (!header.success) return invalid(header.error.issues[0] as ZodIssue);
    const bad = checkMetricsPayload(obj.payload);
    if (bad) return fail(bad.tooLarge ? "too_large" : "invalid", formatPath(bad.path), bad.message);
    value = raw as Envelope;
  } else {
    const parsed = Envelope.safeParse(raw);
    if (!parsed.success) return invalid(parsed.error.issues[0] as ZodIssue);
    value = parsed.data;
  }

  if (options.subject !== undefined) {
    const s = parseSubject(options.subject);
    if (!s || s.kind !== value.kind || s.nodeId !== value.node.id) {
      return fail("subject_mismatch", "", `subject ${options.subject} does not match kind ${value.kind} of node ${value.node.id}`);
    }
  }
  return { ok: true, value };
}

export function encode(envelope: Envelope): Uint8Array {
  if (envelope.kind !== "metrics" || !envelope.payload.resources.some((r) => r instanceof EncodedResource)) {
    return Buffer.from(JSON.stringify(envelope), "utf8");
  }
  // Resources their source wrote as JSON go in as they are: the payload is the envelope's last key.
  const { payload, ...header } = envelope;
  const parts: Uint8Array[] = [Buffer.from(`${JSON.stringify(header).slice(0, -1)},"payload":{"resources":[`, "utf8")];
  payload.resources.forEach((r, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(r instanceof EncodedResource ? r.bytes : Buffer.from(JSON.stringify(r), "utf8"));
  });
  parts.push(payload.containersComplete === undefined ? END : Buffer.from(`],"containersComplete":${payload.containersComplete}}}`, "utf8"));
  return Buffer.concat(parts);
}

const COMMA = Buffer.from(",");
const END = Buffer.from("]}}");

function fail(code: DecodeErrorCode, path: string, message: string): Decoded {
  return { ok: false, error: new DecodeError(code, path, message) };
}

function invalid(issue: ZodIssue): Decoded {
  // Past a bound (array or string length, attribute count, nesting) rather than wrong in kind.
  const tooLarge = issue.code === "too_big" || (issue.code === "custom" && /^(more than|nested deeper)/.test(issue.message));
  return fail(tooLarge ? "too_large" : "invalid", formatPath(issue.path), issue.message);
}

function formatPath(path: readonly (string | number)[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${p}` : p;
  return out;
}
