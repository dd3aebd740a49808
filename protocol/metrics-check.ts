/**
 * Checks a metrics payload against the rules of `MetricsPayload` (envelope.ts) by hand: the same
 * limits, the same kind of message, the first fault's path. Kept in step with the zod schema by
 * a test that runs both over valid and broken payloads.
 */
export interface PayloadIssue {
  path: (string | number)[];
  message: string;
  /** Set when the payload is well-formed but past a bound (dead letter reason `too_large`). */
  tooLarge?: true;
}

const METRIC_TYPES = new Set(["counter", "updowncounter", "gauge"]);

/**
 * Bounds of one metrics message, far above what an agent sends (a node of 200 containers is
 * ~10,000 points), so that one valid but enormous message cannot take the collector's time from
 * every other node. Beyond them a message is dead-lettered as `too_large`.
 */
export const METRICS_LIMITS = {
  /** Resources (the host and its containers) per message. */
  resources: 2_000,
  /** Metrics per resource. */
  metricsPerResource: 1_000,
  /** Points of one metric. */
  pointsPerMetric: 10_000,
  /** Points of the whole message. */
  points: 100_000,
  /** Attributes of a resource or of a point. */
  attributes: 64,
} as const;
const MAX_POINTS = METRICS_LIMITS.pointsPerMetric;

export function checkMetricsPayload(payload: unknown): PayloadIssue | undefined {
  if (!isObject(payload)) return issue(["payload"], expected("object", payload));
  const resources = payload.resources;
  if (!Array.isArray(resources)) return issue(["payload", "resources"], expected("array", resources));
  if (resources.length > METRICS_LIMITS.resources) return tooLarge(["payload", "resources"], `${resources.length} resources exceed the limit of ${METRICS_LIMITS.resources} per message`);
  let points = 0;
  for (let r = 0; r < resources.length; r++) {
    const rm: unknown = resources[r];
    // Paths are built only for a fault: a valid payload (the usual case) allocates nothing here.
    const at = (...rest: (string | number)[]) => ["payload", "resources", r, ...rest];
    if (!isObject(rm)) return issue(at(), expected("object", rm));
    const attrs = checkAttributes(rm.resource);
    if (attrs) return { path: attrs.key === undefined || attrs.tooLarge ? at("resource") : at("resource", attrs.key), message: attrs.message, ...(attrs.tooLarge ? { tooLarge: true as const } : {}) };
    const metrics = rm.metrics;
    if (!Array.isArray(metrics)) return issue(at("metrics"), expected("array", metrics));
    if (metrics.length > METRICS_LIMITS.metricsPerResource) return tooLarge(at("metrics"), `${metrics.length} metrics exceed the limit of ${METRICS_LIMITS.metricsPerResource} per resource`);
    for (let m = 0; m < metrics.length; m++) {
      const bad = checkMetric(metrics[m], r, m);
      if (bad) return bad;
      points += ((metrics[m] as { points: unknown[] }).points).length;
    }
    if (points > METRICS_LIMITS.points) return tooLarge(["payload", "resources"], `more than ${METRICS_LIMITS.points} points in one message`);
  }
  const complete = payload.containersComplete;
  if (complete !== undefined && typeof complete !== "boolean") return issue(["payload", "containersComplete"], expected("boolean", complete));
  return undefined;
}

function checkMetric(metric: unknown, r: number, m: number): PayloadIssue | undefined {
  const at = (...rest: (string | number)[]) => ["payload", "resources", r, "metrics", m, ...rest];
  if (!isObject(metric)) return issue(at(), expected("object", metric));
  const { name, type, unit, points } = metric;
  if (typeof name !== "string") return issue(at("name"), expected("string", name));
  if (name.length < 1 || name.length > 256) return issue(at("name"), "String must contain between 1 and 256 character(s)");
  if (typeof type !== "string" || !METRIC_TYPES.has(type)) return issue(at("type"), `Invalid enum value. Expected 'counter' | 'updowncounter' | 'gauge', received '${String(type)}'`);
  if (typeof unit !== "string") return issue(at("unit"), expected("string", unit));
  if (unit.length > 32) return issue(at("unit"), "String must contain at most 32 character(s)");
  if (!Array.isArray(points)) return issue(at("points"), expected("array", points));
  if (points.length > MAX_POINTS) return tooLarge(at("points"), `Array must contain at most ${MAX_POINTS} element(s)`);
  for (let p = 0; p < points.length; p++) {
    const point: unknown = points[p];
    if (!isObject(point)) return issue(at("points", p), expected("object", point));
    const v = point.value;
    if (typeof v !== "number") return issue(at("points", p, "value"), expected("number", v));
    if (!Number.isFinite(v)) return issue(at("points", p, "value"), "Number must be finite");
    if (point.attributes !== undefined) {
      const bad = checkAttributes(point.attributes);
      if (bad) return { path: bad.key === undefined || bad.tooLarge ? at("points", p, "attributes") : at("points", p, "attributes", bad.key), message: bad.message, ...(bad.tooLarge ? { tooLarge: true as const } : {}) };
    }
  }
  return undefined;
}

/** The first fault of an attributes object: under which key (none: the object itself) and what. */
function checkAttributes(attrs: unknown): { key?: string; message: string; tooLarge?: true } | undefined {
  if (!isObject(attrs)) return { message: expected("object", attrs) };
  let n = 0;
  for (const key in attrs) {
    if (++n > METRICS_LIMITS.attributes) return { message: `more than ${METRICS_LIMITS.attributes} attributes`, tooLarge: true };
    if (key.length < 1 || key.length > 256) return { key, message: "attribute names must be 1 to 256 characters" };
    const v = attrs[key];
    if (typeof v === "string") {
      if (v.length > 4096) return { key, message: "String must contain at most 4096 character(s)" };
    } else if (typeof v === "number") {
      if (!Number.isFinite(v)) return { key, message: "Number must be finite" };
    } else if (typeof v !== "boolean") {
      return { key, message: `Expected string | number | boolean, received ${kindOf(v)}` };
    }
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

function expected(what: string, v: unknown): string {
  return v === undefined ? "Required" : `Expected ${what}, received ${kindOf(v)}`;
}

function issue(path: (string | number)[], message: string): PayloadIssue {
  return { path, message };
}

function tooLarge(path: (string | number)[], message: string): PayloadIssue {
  return { path, message, tooLarge: true };
}
