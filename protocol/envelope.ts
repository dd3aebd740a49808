import { z } from "zod";
import { KINDS, NODE_ID_PATTERN, SCHEMA } from "./subjects.js";
import { CheckResult } from "./checks.js";
import { METRICS_LIMITS } from "./metrics-check.js";

/** Attribute values on the wire: OTel's primitive AnyValues. */
export const AttributeValue = z.union([z.string().max(4096), z.number().finite(), z.boolean()]);
export const Attributes = z
  .record(z.string().min(1).max(256), AttributeValue)
  .refine((a) => Object.keys(a).length <= METRICS_LIMITS.attributes, { message: `more than ${METRICS_LIMITS.attributes} attributes` });
export type Attributes = z.infer<typeof Attributes>;

/**
 * One data point. Counters are cumulative (ARCHITECTURE.md, data flow): the collector derives rates, so a lost
 * or repeated message never corrupts one.
 */
export const Point = z.object({
  attributes: Attributes.optional(),
  value: z.number().finite(),
});

/** A metric named after the OpenTelemetry semantic conventions (`system.cpu.time`, …). */
export const Metric = z.object({
  name: z.string().min(1).max(256),
  type: z.enum(["counter", "updowncounter", "gauge"]),
  unit: z.string().max(32),
  points: z.array(Point).max(METRICS_LIMITS.pointsPerMetric),
});
export type Metric = z.infer<typeof Metric>;

/** The metrics of one resource: the host, or one container. */
export const ResourceMetrics = z.object({
  resource: Attributes,
  metrics: z.array(Metric).max(METRICS_LIMITS.metricsPerResource),
});
export type ResourceMetrics = z.infer<typeof ResourceMetrics>;

export const MetricsPayload = z.object({
  resources: z
    .array(ResourceMetrics)
    .max(METRICS_LIMITS.resources)
    .refine((rs) => rs.reduce((n, r) => n + r.metrics.reduce((k, m) => k + m.points.length, 0), 0) <= METRICS_LIMITS.points, { message: `more than ${METRICS_LIMITS.points} points in one message` }),
  /**
   * True when the agent's engine answered this cycle, so its containers are all in `resources`: one
   * absent has gone. Absent or false (no engine, engine down): the containers are not known this
   * cycle, and the collector keeps the ones it last saw for a few intervals.
   */
  containersComplete: z.boolean().optional(),
});
export type MetricsPayload = z.infer<typeof MetricsPayload>;

/** Something that happened (a container started, died, was OOM-killed, …), forwarded at once. */
export const Event = z.object({
  timeUnixNano: z.string().regex(/^\d{1,20}$/),
  /** What the event is about: `container`, `agent`, `docker`, … */
  type: z.string().min(1).max(64),
  /** What happened: `start`, `die`, `oom`, `health_status`, `docker_down`, … */
  action: z.string().min(1).max(128),
  resource: Attributes,
  attributes: Attributes.optional(),
});
export type Event = z.infer<typeof Event>;
export const EventsPayload = z.object({ events: z.array(Event).max(10_000) });
export type EventsPayload = z.infer<typeof EventsPayload>;

/**
 * Results of status checks (shape in checks.ts), and the ids of every check the agent runs now,
 * so the collector forgets the ones that stopped (a removed container).
 */
export const StatusPayload = z.object({ results: z.array(CheckResult).max(10_000), active: z.array(z.string().max(300)).max(10_000).optional() });
export type StatusPayload = z.infer<typeof StatusPayload>;

/** Nesting depth and values a structured log body or attributes may hold. */
export const LOG_VALUE_LIMITS = { depth: 16, values: 10_000 } as const;
const SHALLOW = { message: `more than 65536 characters, or nested deeper than ${LOG_VALUE_LIMITS.depth} levels, or holding more than ${LOG_VALUE_LIMITS.values} values` };

/** Whether a JSON value stays within LOG_VALUE_LIMITS (walked without recursion). */
export function shallow(v: unknown): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  let seen = 0;
  while (stack.length > 0) {
    const [x, depth] = stack.pop() as [unknown, number];
    if (++seen > LOG_VALUE_LIMITS.values) return false;
    if (typeof x !== "object" || x === null) continue;
    if (depth >= LOG_VALUE_LIMITS.depth) return false;
    for (const k in x) stack.push([(x as Record<string, unknown>)[k], depth + 1]);
  }
  return true;
}

/** OpenTelemetry log records (logs data model). */
export const LogRecord = z.object({
  timeUnixNano: z.string().regex(/^\d{1,20}$/),
  observedTimeUnixNano: z.string().regex(/^\d{1,20}$/).optional(),
  severityNumber: z.number().int().min(0).max(24),
  severityText: z.string().max(64).optional(),
  body: z.union([z.string(), z.record(z.string(), z.unknown())]).refine((b) => (typeof b === "string" ? b.length <= 65_536 : shallow(b)), SHALLOW),
  attributes: z.record(z.string(), z.unknown()).refine(shallow, SHALLOW).optional(),
  resource: Attributes,
  traceId: z.string().optional(),
  spanId: z.string().optional(),
});
export type LogRecord = z.infer<typeof LogRecord>;
export const LogsPayload = z.object({ records: z.array(LogRecord).max(10_000) });
export type LogsPayload = z.infer<typeof LogsPayload>;

const Header = {
  schema: z.literal(SCHEMA),
  node: z.object({
    /** Swarm node id, or the machine id outside Swarm. */
    id: z.string().regex(NODE_ID_PATTERN, "node id must be 1-128 of [A-Za-z0-9_-]"),
    /** The node's hostname: what people call it and what every metric is labelled with. */
    hostname: z.string().min(1).max(253),
  }),
  agent: z.object({
    version: z.string().min(1).max(64),
    /** Random per agent process start; with `seq` it identifies a message uniquely. */
    bootId: z.string().min(1).max(64),
    /** Increases by one per message within a boot (all kinds share it), from 1. */
    seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  }),
  /** When the data was sampled: Unix time in milliseconds. */
  time: z.number().int().nonnegative(),
};

/**
 * The metrics envelope's header alone: the payload is checked by `checkMetricsPayload`, which
 * applies the same rules as `MetricsPayload` an order of magnitude faster (metrics are most of
 * the traffic, and zod was most of the collector's CPU).
 */
export const MetricsHeader = z.object({ ...Header, kind: z.literal("metrics"), payload: z.unknown() });

export const Envelope = z.discriminatedUnion("kind", [
  z.object({ ...Header, kind: z.literal("metrics"), payload: MetricsPayload }),
  z.object({ ...Header, kind: z.literal("status"), payload: StatusPayload }),
  z.object({ ...Header, kind: z.literal("logs"), payload: LogsPayload }),
  z.object({ ...Header, kind: z.literal("events"), payload: EventsPayload }),
]);
export type Envelope = z.infer<typeof Envelope>;
export type EnvelopeOf<K extends Envelope["kind"]> = Extract<Envelope, { kind: K }>;

export { KINDS };
