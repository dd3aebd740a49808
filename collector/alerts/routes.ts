import type { FastifyInstance } from "fastify";
import { ApiError } from "../api/errors.js";
import { page, PAGE_PARAMS, type PageQuery } from "../api/paging.js";
import type { RouteModule } from "../api/server.js";
import { canSeeStack, type Principal } from "../auth/tokens.js";
import type { AlertEngine } from "./engine.js";
import { matches, type LabelMatcher } from "./matchers.js";
import { parseDuration } from "../../lib/duration.js";
import { silenceState, type SilenceService } from "./silences.js";
import type { Silence } from "./store.js";

export interface AlertRoutesDeps {
  engine: AlertEngine;
  silences: SilenceService;
  now: () => number;
}

const MATCHER = {
  type: "object",
  additionalProperties: false,
  required: ["name", "op", "value"],
  properties: { name: { type: "string", minLength: 1, maxLength: 128 }, op: { type: "string", enum: ["=", "!=", "=~", "!~"] }, value: { type: "string", maxLength: 1024 } },
} as const;

/** Alerts of a stack-limited principal: those labelled with one of its stacks (node and cluster alerts belong to no stack). */
const visible = (p: Principal, labels: Readonly<Record<string, string>>) => canSeeStack(p, labels.stack);

/** A stack-limited principal sees, makes and ends only silences pinned to one of its stacks by `stack="…"`. */
function silenceVisible(p: Principal, matchers: readonly LabelMatcher[]): boolean {
  if (p.stacks === undefined) return true;
  return matchers.some((m) => m.name === "stack" && m.op === "=" && p.stacks?.has(m.value));
}

const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());
const silenceView = (s: Silence, now: number) => ({ id: s.id, matchers: s.matchers, startsAt: iso(s.startsAt), endsAt: iso(s.endsAt), createdBy: s.createdBy, comment: s.comment, state: silenceState(s, now) });

/** /api/v1/alerts, /alerts/history, /alerts/reload, /silences. */
export function alertRoutes(deps: AlertRoutesDeps): RouteModule {
  return (app: FastifyInstance) => {
    app.get<{ Querystring: { state?: string; alertname?: string } & PageQuery }>(
      "/api/v1/alerts",
      {
        schema: {
          summary: "Open alerts (pending and firing) with their state and since when",
          tags: ["alerts"],
          querystring: { type: "object", additionalProperties: false, properties: { state: { type: "string", enum: ["pending", "firing"] }, alertname: { type: "string", maxLength: 128 }, ...PAGE_PARAMS } },
        },
      },
      async (req) => {
        const now = deps.now();
        const open = deps.engine.active().filter((a) => visible(req.principal, a.labels) && (!req.query.state || a.state === req.query.state) && (!req.query.alertname || a.rule === req.query.alertname));
        // Paged before each alert is matched against every silence, which is the dear part.
        const { items, next } = page(open, req.query);
        const alerts = items.map((a) => ({
          alertname: a.rule,
          fingerprint: a.fingerprint,
          state: a.state,
          labels: a.labels,
          annotations: a.annotations,
          activeSince: iso(a.activeAt),
          firingSince: iso(a.firedAt),
          value: Number.isFinite(a.value) ? a.value : null,
          dataMissingSince: iso(a.missingSince),
          silencedBy: silencedIds(deps, a.labels, now),
        }));
        return { alerts, next };
      },
    );

    app.get<{ Querystring: { from?: string; to?: string; limit?: number } }>(
      "/api/v1/alerts/history",
      {
        schema: {
          summary: "State changes of alerts, newest first",
          tags: ["alerts"],
          querystring: {
            type: "object",
            additionalProperties: false,
            properties: { from: { type: "string", format: "date-time" }, to: { type: "string", format: "date-time" }, limit: { type: "integer", minimum: 1, maximum: 5000, default: 500 } },
          },
        },
      },
      async (req) => {
        const from = req.query.from ? Date.parse(req.query.from) : 0;
        const to = req.query.to ? Date.parse(req.query.to) : deps.now();
        if (!Number.isFinite(from) || !Number.isFinite(to) || from > to) throw new ApiError("invalid_parameter", "from must be a time before to", "from");
        const rows = deps.engine.history(from, to, req.query.limit ?? 500).filter((r) => visible(req.principal, r.labels));
        return { history: rows.map((r) => ({ at: iso(r.at), alertname: r.rule, fingerprint: r.fingerprint, labels: r.labels, from: r.from, to: r.to, value: Number.isFinite(r.value) ? r.value : null, reason: r.reason ?? null })) };
      },
    );

    app.post("/api/v1/alerts/reload", { schema: { summary: "Read the rule files again; a bad file keeps the previous rules and the answer says why", tags: ["alerts"] }, config: { scope: "admin" } }, async (_req, reply) => {
      const r = deps.engine.reload();
      if (!r.ok) return reply.code(400).send({ error: { code: "invalid_parameter", message: `rules not reloaded, the previous ones stay:\n${r.problems.join("\n")}` }, problems: r.problems });
      return { rules: r.rules };
    });

    app.get<{ Querystring: PageQuery }>(
      "/api/v1/silences",
      { schema: { summary: "Silences, active, pending and recently expired", tags: ["alerts"], querystring: { type: "object", additionalProperties: false, properties: { ...PAGE_PARAMS } } } },
      async (req) => {
        const now = deps.now();
        const { items, next } = page(deps.silences.list().filter((s) => silenceVisible(req.principal, s.matchers)), req.query);
        return { silences: items.map((s) => silenceView(s, now)), next };
      },
    );

    app.post<{ Body: { matchers: LabelMatcher[]; startsAt?: string; endsAt?: string; duration?: string; comment?: string } }>(
      "/api/v1/silences",
      {
        config: { scope: "admin" },
        schema: {
          summary: "Create a silence: matchers and a time range (endsAt, or a duration from now)",
          tags: ["alerts"],
          body: {
            type: "object",
            additionalProperties: false,
            required: ["matchers"],
            properties: {
              matchers: { type: "array", minItems: 1, maxItems: 32, items: MATCHER },
              startsAt: { type: "string", format: "date-time" },
              endsAt: { type: "string", format: "date-time" },
              duration: { type: "string", pattern: "^[0-9]+(ms|s|m|h|d)$" },
              comment: { type: "string", maxLength: 2000 },
            },
          },
        },
      },
      async (req, reply) => {
        const b = req.body;
        if (!silenceVisible(req.principal, b.matchers)) throw new ApiError("forbidden", `${req.principal.name} is limited to some stacks: a silence must include stack="<one of them>"`);
        const now = deps.now();
        const startsAt = b.startsAt ? Date.parse(b.startsAt) : now;
        const endsAt = b.endsAt ? Date.parse(b.endsAt) : b.duration ? startsAt + (parseDuration(b.duration) ?? Number.NaN) : Number.NaN;
        if (!Number.isFinite(endsAt)) throw new ApiError("invalid_parameter", "give endsAt or duration", "endsAt");
        const s = deps.silences.create({ matchers: b.matchers, startsAt, endsAt, createdBy: req.principal.name, comment: b.comment });
        if (typeof s === "string") throw new ApiError("invalid_parameter", s, "matchers");
        return reply.code(201).send(silenceView(s, now));
      },
    );

    app.delete<{ Params: { id: string } }>(
      "/api/v1/silences/:id",
      {
        config: { scope: "admin" },
        schema: { summary: "Expire a silence now", tags: ["alerts"], params: { type: "object", additionalProperties: false, required: ["id"], properties: { id: { type: "string", minLength: 1, maxLength: 64 } } } },
      },
      async (req) => {
        const s = deps.silences.get(req.params.id);
        if (!s || !silenceVisible(req.principal, s.matchers)) throw new ApiError("not_found", `no silence ${JSON.stringify(req.params.id)}`, "id");
        deps.silences.expire(s.id);
        return silenceView(deps.silences.get(s.id) ?? s, deps.now());
      },
    );
  };
}

function silencedIds(deps: AlertRoutesDeps, labels: Readonly<Record<string, string>>, now: number): string[] {
  return deps.silences
    .active()
    .filter((s) => s.startsAt <= now && now < s.endsAt && s.matchers.length > 0 && matches(labels, s.matchers))
    .map((s) => s.id);
}
