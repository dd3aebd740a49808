import { parseDuration } from "../../../lib/index.js";
import { canSeeStack, type Principal } from "../../auth/tokens.js";
import { AGGREGATIONS, evaluateInstant, evaluateRange, matchesAll, parseMatcher, type Aggregation, type Matcher, type SeriesSource } from "../../history/query.js";
import { MINUTE_MS, type Rollup } from "../../history/rollup.js";
import { seriesKey } from "../../history/series.js";
import type { MetricsHistory } from "../../history/store.js";
import { ApiError } from "../errors.js";
import type { RouteModule } from "../server.js";

export interface QueryLimits {
  /** Most steps in a range query (Prometheus' limit too). Default 11 000. */
  maxSteps?: number;
  /** Most series a query may touch. Default 10 000. */
  maxSeries?: number;
  /** Most points in one answer. Default 500 000. */
  maxPoints?: number;
}

export interface QueryRoutesDeps {
  history: MetricsHistory;
  now: () => number;
  limits?: QueryLimits;
}

const METRIC = { type: "string", pattern: "^[A-Za-z_][A-Za-z0-9_.]*$", maxLength: 256, description: "Wire metric name (OpenTelemetry), e.g. system.cpu.time; counters answer per-second rates" } as const;
const MATCH = { type: "array", maxItems: 20, items: { type: "string", maxLength: 512 }, description: "Label matchers: label=value, label!=value, label=~regex, label!~regex" } as const;
const AGG = { type: "string", enum: [...AGGREGATIONS], description: "Combine the series of each group (and samples within a step): avg, min, max, sum, last" } as const;
const BY = { type: "string", pattern: "^[A-Za-z0-9_.,]*$", maxLength: 512, description: "Comma-separated labels to group by when aggregating" } as const;
const TIME = { type: "string", maxLength: 40, description: "RFC 3339 or Unix seconds" } as const;

interface Common {
  metric: string;
  "match[]"?: string[];
  agg?: Aggregation;
  by?: string;
}

/** /api/v1/query and /api/v1/query_range over the metrics history. */
export function queryRoutes(deps: QueryRoutesDeps): RouteModule {
  const maxSteps = deps.limits?.maxSteps ?? 11_000;
  const maxSeries = deps.limits?.maxSeries ?? 10_000;
  const maxPoints = deps.limits?.maxPoints ?? 500_000;

  return (app) => {
    app.get<{ Querystring: Common & { time?: string; lookback?: string } }>(
      "/api/v1/query",
      {
        schema: {
          summary: "Instant query: each series' latest value (counters as per-second rates), optionally aggregated by labels",
          tags: ["metrics"],
          querystring: {
            type: "object",
            additionalProperties: false,
            required: ["metric"],
            properties: { metric: METRIC, "match[]": MATCH, agg: AGG, by: BY, time: TIME, lookback: { type: "string", maxLength: 20, default: "5m", description: "How old the latest sample may be (duration)" } },
          },
        },
      },
      async (req) => {
        const q = req.query;
        const now = deps.now();
        const time = q.time !== undefined ? parseTime(q.time, "time") : now;
        const lookback = parseStep(q.lookback ?? "5m", "lookback");
        if (lookback > deps.history.windowMs) throw new ApiError("invalid_parameter", `lookback must be at most the history window (${deps.history.windowMs / 1000}s)`, "lookback");
        const series = selectMemory(deps.history, q, req.principal, maxSeries);
        const results = evaluateInstant(series, { time, lookback, agg: q.agg, by: splitBy(q.by) });
        return { metric: q.metric, time: time / 1000, results };
      },
    );

    app.get<{ Querystring: Common & { from?: string; to?: string; step?: string } }>(
      "/api/v1/query_range",
      {
        schema: {
          summary: "Range query over [from, to] every step: raw samples within the history window, 1-minute rollups beyond it",
          tags: ["metrics"],
          querystring: {
            type: "object",
            additionalProperties: false,
            required: ["metric"],
            properties: {
              metric: METRIC, "match[]": MATCH, agg: AGG, by: BY,
              from: { ...TIME, description: "Start (RFC 3339 or Unix seconds); default to − 1h" },
              to: { ...TIME, description: "End (RFC 3339 or Unix seconds); default now" },
              step: { type: "string", maxLength: 20, description: "Resolution (duration such as 15s, or seconds); default (to − from) / 250" },
            },
          },
        },
      },
      async (req) => {
        const q = req.query;
        const now = deps.now();
        const to = q.to !== undefined ? parseTime(q.to, "to") : now;
        const from = q.from !== undefined ? parseTime(q.from, "from") : to - 3_600_000;
        if (from >= to) throw new ApiError("invalid_parameter", "from must be before to", "from");
        const fromRollups = from < now - deps.history.windowMs;
        let step = q.step !== undefined ? parseStep(q.step, "step") : Math.max(1000, Math.ceil((to - from) / 250 / 1000) * 1000);
        if (fromRollups && step < MINUTE_MS) {
          if (q.step !== undefined) throw new ApiError("invalid_parameter", `step must be at least 60s for a range older than the ${deps.history.windowMs / 1000}s history window (1-minute rollups)`, "step");
          step = MINUTE_MS;
        }
        const steps = Math.floor((to - from) / step) + 1;
        if (steps > maxSteps) throw new ApiError("too_many_points", `${steps} steps exceed the limit of ${maxSteps}; raise step or narrow from/to`, "step");
        const series = fromRollups ? selectStored(deps.history, q, req.principal, maxSeries, from, to) : selectMemory(deps.history, q, req.principal, maxSeries);
        const result = evaluateRange(series, { from, to, step, agg: q.agg, by: splitBy(q.by) });
        const points = result.reduce((n, r) => n + r.points.length, 0);
        if (points > maxPoints) throw new ApiError("too_many_points", `${points} points exceed the limit of ${maxPoints}; aggregate, raise step or narrow the matchers`, "step");
        return { metric: q.metric, from: from / 1000, to: to / 1000, step: step / 1000, source: fromRollups ? "rollup" : "raw", series: result };
      },
    );
  };
}

function matchers(q: Common, principal: Principal): (labels: Record<string, string>) => boolean {
  const list: Matcher[] = [];
  for (const text of q["match[]"] ?? []) {
    const m = parseMatcher(text);
    if (typeof m === "string") throw new ApiError("invalid_parameter", `match[]: ${m}`, "match[]");
    list.push(m);
  }
  // The token's stacks first: a matcher never runs over a series the token may not see.
  return (labels) => canSeeStack(principal, labels["service.namespace"]) && matchesAll(labels, list);
}

function selectMemory(history: MetricsHistory, q: Common, principal: Principal, max: number): SeriesSource[] {
  const ok = matchers(q, principal);
  const out: SeriesSource[] = [];
  for (const s of history.select(q.metric)) {
    if (!ok(s.labels)) continue;
    if (out.length >= max) throw new ApiError("too_many_series", `the matchers select more than ${max} series (series are selected before any aggregation); narrow the matchers`, "match[]");
    out.push({ labels: s.labels, forEach: (from, to, fn) => s.ring.forEach(from, to, fn) });
  }
  return out;
}

/** Rollups from disk, each minute as one sample at its end, followed by the raw samples not rolled up yet. */
function selectStored(history: MetricsHistory, q: Common, principal: Principal, max: number, from: number, to: number): SeriesSource[] {
  const ok = matchers(q, principal);
  const stored = history.storedSeries(q.metric).filter((s) => ok(s.labels));
  if (stored.length > max) throw new ApiError("too_many_series", `the matchers select more than ${max} series (series are selected before any aggregation); narrow the matchers`, "match[]");
  const rollups = history.rollups(stored.map((s) => s.id), from - MINUTE_MS, to);
  const memory = new Map<string, ReturnType<MetricsHistory["select"]> extends Iterable<infer S> ? S : never>();
  for (const s of history.select(q.metric)) memory.set(s.key, s);
  const pick = (r: Rollup) => (q.agg === "min" ? r.min : q.agg === "max" ? r.max : q.agg === "last" ? r.last : r.avg);
  return stored.map((s) => {
    const rows = rollups.get(s.id) ?? [];
    const live = memory.get(seriesKey(q.metric, s.labels));
    return {
      labels: s.labels,
      forEach(a: number, b: number, fn: (t: number, v: number) => void) {
        let last = -Infinity;
        for (const r of rows) {
          const t = r.minute + MINUTE_MS;
          if (t >= a && t <= b) fn(t, pick(r));
          last = t;
        }
        live?.ring.forEach(Math.max(a, last + 1), b, fn);
      },
    };
  });
}

function splitBy(by: string | undefined): string[] | undefined {
  return by ? by.split(",").map((s) => s.trim()).filter(Boolean) : undefined;
}

function parseTime(text: string, field: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const t = Date.parse(text);
  if (!Number.isFinite(t) || !/^\d{4}-\d{2}-\d{2}T/.test(text)) throw new ApiError("invalid_parameter", `${field} must be RFC 3339 (2026-11-27T18:00:00Z) or Unix seconds, not ${JSON.stringify(text)}`, field);
  return t;
}

function parseStep(text: string, field: string): number {
  const ms = /^\d+(\.\d+)?$/.test(text) ? Number(text) * 1000 : parseDuration(text);
  if (ms === undefined || !(ms >= 1000)) throw new ApiError("invalid_parameter", `${field} must be a duration of at least 1s (15s, 1m) or seconds, not ${JSON.stringify(text)}`, field);
  return ms;
}
