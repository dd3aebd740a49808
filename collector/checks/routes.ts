import { CHECK_STATES, type CheckResult } from "../../protocol/index.js";
import type { RouteModule } from "../api/server.js";
import { isoTime } from "../api/dates.js";
import { NEXT, page, PAGE_PARAMS, type PageQuery } from "../api/paging.js";
import { canSeeStack } from "../auth/visibility.js";
import type { CheckRecord, CheckSource } from "./state.js";

export interface CheckRoutesDeps {
  state: CheckSource;
  now: () => number;
}

interface Query extends PageQuery {
  node?: string;
  service?: string;
  state?: (typeof CHECK_STATES)[number];
  recent?: number;
}

const OBJ = { type: "object", additionalProperties: true } as const;
const CHECK_VIEW = {
  type: "object",
  properties: {
    id: { type: "string" },
    name: { type: "string" },
    type: { type: "string", enum: ["http", "tcp"] },
    node: { type: "string" },
    nodeId: { type: "string" },
    target: OBJ,
    resource: OBJ,
    state: { type: "string", enum: [...CHECK_STATES] },
    since: { type: ["string", "null"], format: "date-time" },
    stale: { type: "boolean" },
    up: { type: "boolean" },
    status: { type: "string", enum: ["pass", "warn", "fail", "unknown"] },
    lastRun: { type: ["string", "null"], format: "date-time" },
    intervalSeconds: { type: "number" },
    httpStatusCode: { type: ["integer", "null"] },
    durationSeconds: { type: "number" },
    phases: { ...OBJ, type: ["object", "null"] },
    tls: { ...OBJ, type: ["object", "null"] },
    error: { ...OBJ, type: ["object", "null"] },
    failedCondition: { type: ["string", "null"] },
    conditions: { type: "array", items: OBJ },
    health: { ...OBJ, type: ["object", "null"] },
    values: { ...OBJ, type: ["object", "null"], description: "Numbers of the latest JSON body that had any, by path (what check:<path> autoscaling reads)" },
    valuesAt: { type: ["string", "null"], format: "date-time" },
    recent: { type: "array", items: OBJ },
  },
} as const;

/** GET /api/v1/checks: every status check in the cluster, its state after thresholds, since when, and its last results. */
export function checkRoutes(deps: CheckRoutesDeps): RouteModule {
  return (app) => {
    app.get<{ Querystring: Query }>(
      "/api/v1/checks",
      {
        schema: {
          summary: "Status checks: state after thresholds, since when, last result and recent runs",
          tags: ["checks"],
          querystring: {
            type: "object",
            additionalProperties: false,
            properties: {
              node: { type: "string", minLength: 1, maxLength: 253, description: "Only checks run on this node (id or hostname)" },
              service: { type: "string", minLength: 1, maxLength: 256, description: "Only checks of this service (service.name)" },
              state: { type: "string", enum: [...CHECK_STATES], description: "Only checks in this state" },
              recent: { type: "integer", minimum: 0, maximum: 20, default: 5, description: "How many recent runs to include" },
              ...PAGE_PARAMS,
            },
          },
          response: { 200: { type: "object", properties: { checks: { type: "array", items: CHECK_VIEW }, next: NEXT } } },
        },
      },
      async (req) => {
        const now = deps.now();
        const q = req.query;
        const principal = req.principal as typeof req.principal | undefined;
        const checks = deps.state
          .list()
          .filter((r) => !q.node || r.node.id === q.node || r.node.hostname === q.node)
          .filter((r) => !q.service || r.last.resource["service.name"] === q.service)
          .filter((r) => !q.state || r.last.state === q.state)
          .filter((r) => !principal || canSeeStack(principal, stackOf(r)));
        const { items, next } = page(checks, q);
        return { checks: items.map((r) => view(r, deps.state.isStale(r, now), q.recent ?? 5)), next };
      },
    );
  };
}

function stackOf(rec: CheckRecord): string | undefined {
  const ns = rec.last.resource["service.namespace"];
  return ns === undefined ? undefined : String(ns);
}

function view(rec: CheckRecord, stale: boolean, recent: number) {
  const r = rec.last;
  return {
    id: r.check.id,
    name: r.check.name,
    type: r.check.type,
    node: rec.node.hostname,
    nodeId: rec.node.id,
    target: r.target,
    resource: r.resource,
    state: r.state,
    since: isoTime(r.stateSince),
    stale,
    up: r.up,
    status: r.status,
    lastRun: isoTime(r.time),
    intervalSeconds: r.check.intervalSeconds,
    httpStatusCode: r.httpStatusCode ?? null,
    durationSeconds: r.durationSeconds,
    phases: r.phases ?? null,
    tls: r.tls ?? null,
    error: r.error ?? null,
    failedCondition: r.failedCondition ?? null,
    conditions: r.conditions ?? [],
    health: r.health ?? null,
    values: rec.values?.values ?? null,
    valuesAt: rec.values ? isoTime(rec.values.time) : null,
    recent: rec.recent.slice(0, recent).map(run),
  };
}

function run(r: CheckResult) {
  return {
    time: isoTime(r.time),
    up: r.up,
    status: r.status,
    state: r.state,
    durationSeconds: r.durationSeconds,
    httpStatusCode: r.httpStatusCode ?? null,
    error: r.error ?? null,
  };
}
