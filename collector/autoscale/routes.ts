import type { FastifyRequest } from "fastify";
import type { RouteModule } from "../api/server.js";
import type { AuditTrail, AutoscaleEvent } from "./audit.js";
import type { AutoscalerStatus } from "./autoscaler.js";

export interface AutoscaleRoutesDeps {
  autoscaler: { status(): AutoscalerStatus };
  audit: AuditTrail;
}

const REASONS = ["scaled", "dry_run", "failed", "tolerance", "cooldown", "bounds", "stabilization", "missing_metrics", "update_in_progress", "steady", "invalid_policy"] as const;
const OBJ = { type: "object", additionalProperties: true } as const;
const EVENT_VIEW = {
  type: "object",
  properties: {
    id: { type: "integer" },
    time: { type: "string", format: "date-time" },
    lastTime: { type: "string", format: "date-time" },
    count: { type: "integer" },
    service: { type: "string" },
    reason: { type: "string", enum: [...REASONS] },
    direction: { type: "string", enum: ["up", "down", "none"] },
    from: { type: "integer" },
    to: { type: "integer" },
    dryRun: { type: "boolean" },
    message: { type: "string" },
    inputs: OBJ,
  },
} as const;

/** Stacks a stack-limited API token may see; undefined when it sees everything. */
function allowedStacks(req: FastifyRequest): ReadonlySet<string> | undefined {
  const principal = (req as FastifyRequest & { principal?: { stacks?: ReadonlySet<string> | null } }).principal;
  return principal?.stacks instanceof Set && principal.stacks.size > 0 ? principal.stacks : undefined;
}

const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
const eventView = (e: AutoscaleEvent) => ({ ...e, time: iso(e.time), lastTime: iso(e.lastTime) });

/**
 * `GET /api/v1/autoscale`: the autoscaler's settings, whether this collector acts (holds the
 * lease), and every opted-in service with its policy (or why it is invalid), replicas, last
 * decision, cooldowns. `GET /api/v1/autoscale/events`: the decisions, newest first.
 */
export function autoscaleRoutes(deps: AutoscaleRoutesDeps): RouteModule {
  return (app) => {
    app.get(
      "/api/v1/autoscale",
      {
        schema: {
          summary: "Autoscaler: settings, lease, and every opted-in service with its policy, replicas and last decision",
          tags: ["autoscale"],
          response: {
            200: {
              type: "object",
              properties: {
                dryRun: { type: "boolean" },
                leader: { type: "boolean" },
                holder: { type: ["string", "null"] },
                intervalSeconds: { type: "number" },
                tolerance: { type: "number" },
                stabilizationSeconds: { type: "number" },
                lastEvaluation: { type: ["string", "null"] },
                services: { type: "array", items: OBJ },
              },
            },
          },
        },
      },
      async (req) => {
        const s = deps.autoscaler.status();
        const stacks = allowedStacks(req);
        return {
          dryRun: s.dryRun,
          leader: s.leader,
          holder: s.holder ?? null,
          intervalSeconds: s.intervalMs / 1000,
          tolerance: s.tolerance,
          stabilizationSeconds: s.stabilizationMs / 1000,
          lastEvaluation: iso(s.lastEvaluation),
          services: s.services
            .filter((x) => !stacks || stacks.has(x.stack ?? ""))
            .map((x) => ({
              service: x.service,
              stack: x.stack ?? null,
              valid: x.error === undefined,
              error: x.error ?? null,
              problems: x.problems ?? [],
              policy: x.policy ?? null,
              replicas: x.replicas ?? null,
              desired: x.desired ?? null,
              cooldownUpUntil: iso(x.cooldownUpUntil),
              cooldownDownUntil: iso(x.cooldownDownUntil),
              stabilizationFloor: x.stabilizationFloor ?? null,
              lastDecision: x.lastDecision ? eventView(x.lastDecision) : null,
            })),
        };
      },
    );
    app.get<{ Querystring: { service?: string; reason?: (typeof REASONS)[number]; since?: string; limit?: number } }>(
      "/api/v1/autoscale/events",
      {
        schema: {
          summary: "Autoscaler decisions (scaled, or held and why), newest first",
          tags: ["autoscale"],
          querystring: {
            type: "object",
            additionalProperties: false,
            properties: {
              service: { type: "string", minLength: 1, maxLength: 255, description: "Only this service" },
              reason: { type: "string", enum: [...REASONS], description: "Only decisions with this reason" },
              since: { type: "string", format: "date-time", description: "Only decisions taken or repeated since" },
              limit: { type: "integer", minimum: 1, maximum: 1000, default: 100 },
            },
          },
          response: { 200: { type: "object", properties: { events: { type: "array", items: EVENT_VIEW } } } },
        },
      },
      async (req) => {
        const q = req.query;
        const stacks = allowedStacks(req);
        const since = q.since ? Date.parse(q.since) : undefined;
        let events = deps.audit.list({ service: q.service, reason: q.reason, since: since !== undefined && Number.isFinite(since) ? since : undefined, limit: q.limit ?? 100 });
        if (stacks) {
          const visible = new Set(deps.autoscaler.status().services.filter((x) => stacks.has(x.stack ?? "")).map((x) => x.service));
          events = events.filter((e) => visible.has(e.service));
        }
        return { events: events.map(eventView) };
      },
    );
  };
}
