import { z } from "zod";
import { KINDS, NODE_ID_PATTERN, SCHEMA } from "./subjects.js";
import { CheckResult } from "./checks.js";

/** Attribute values on the wire: OTel's primitive AnyValues. */
export const AttributeValue = z.union([z.string().max(4096), z.number().finite(), z.boolean()]);
export const Attributes = z.record(z.string().min(1).max(256), AttributeValue);
export type Attributes = z.infer<typeof Attributes>;

/**
 * One data point. Counters are cumulative (DESIGN §2): the collector derives rates, so a lost
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
  points: z.array(Point).max(100_000),
});
export type Metric = z.infer<typeof Metric>;

/** The metrics of one resource: the host, or one container (DESIGN §3). */
export const ResourceMetrics = z.object({
  resource: Attributes,
  metrics: z.array(Metric),
});
export type ResourceMetrics = z.infer<typeof ResourceMetrics>;

export const MetricsPayload = z.object({
  resources: z.array(ResourceMetrics),
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
export const EventsPayload = z.object({ events: z.array(Event) });
export type EventsPayload = z.infer<typeof EventsPayload>;

/**
 * Results of status checks (shape in checks.ts), and the ids of every check the agent runs now,
 * so the collector forgets the ones that stopped (a removed container).
 */
export const StatusPayload = z.object({ results: z.array(CheckResult).max(10_000), active: z.array(z.string().max(300)).max(10_000).optional() });
export type StatusPayload = z.infer<typeof StatusPayload>;

/** OpenTelemetry log records (logs data model). */
export const LogRecord = z.object({
  timeUnixNano: z.string().regex(/^\d{1,20}$/),
  observedTimeUnixNano: z.string().regex(/^\d{1,20}$/).optional(),
  severityNumber: z.number().int().min(0).max(24),
  severityText: z.string().max(64).optional(),
  body: z.union([z.string(), z.record(z.string(), z.unknown())]),
  attributes: z.record(z.string(), z.unknown()).optional(),
  resource: Attributes,
  traceId: z.string().optional(),
  spanId: z.string().optional(),
});
export type LogRecord = z.infer<typeof LogRecord>;
export const LogsPayload = z.object({ records: z.array(LogRecord) });
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
    /** Increases by one per message within a boot (all kinds share it). */
    seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
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
