import type { Severity } from "../severity.js";

/** Attribute values a parsed line carries: OTel primitives. */
export type AttrValue = string | number | boolean;

/** What a parser makes of one message (one line, or a joined multi-line group). */
export interface Parsed {
  /** The message: the `msg` field of a structured line, else the line itself. */
  body: string;
  severity?: Severity;
  /** The application's own time, nanoseconds since the epoch (decimal string). */
  timeUnixNano?: string;
  traceId?: string;
  spanId?: string;
  /** The line's other fields (structured lines), or what the parser learnt (syslog facility). */
  attributes?: Record<string, AttrValue>;
  /** Which parser understood the line: `json`, `logfmt`, `plain`. */
  format: "json" | "logfmt" | "plain";
}

/** Bounds on what one line may add to a record. */
export interface FieldLimits {
  /** Attributes per record; the rest are counted in `vigie.log.dropped_attributes`. Default 64. */
  maxAttributes: number;
  /** Longest attribute value (characters); longer ones are cut. Default 4096. */
  maxValueLength: number;
}

export const DEFAULT_FIELD_LIMITS: FieldLimits = { maxAttributes: 64, maxValueLength: 4096 };
