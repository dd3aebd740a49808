import type { FastifyInstance } from "fastify";
import { ApiError } from "../api/errors.js";
import { encodePage, encodeTail } from "./cursor.js";
import { parseLogQuery, type LogQueryParams } from "./filter.js";
import { SEVERITY_RANGES } from "./severity.js";
import type { LogStore } from "./store.js";

export interface LogRoutesDeps {
  store: LogStore;
  now: () => number;
  /** Most records one answer may hold. Default 1,000. */
  maxLimit?: number;
}

const NAME = { type: "string", minLength: 1, maxLength: 256 } as const;
const TIME = { type: "string", minLength: 1, maxLength: 40 } as const;
const RECORD = {
  type: "object",
  properties: {
    time: { type: "string", format: "date-time" },
    timeUnixNano: { type: "string" },
    observedTimeUnixNano: { type: "string" },
    node: { type: "string" },
    nodeId: { type: "string" },
    stack: { type: ["string", "null"] },
    service: { type: ["string", "null"] },
    swarmService: { type: ["string", "null"] },
    container: { type: ["string", "null"] },
    containerId: { type: ["string", "null"] },
    severityNumber: { type: "integer" },
    severity: { type: "string", enum: [...SEVERITY_RANGES] },
    severityText: { type: "string" },
    body: {},
    attributes: { type: "object", additionalProperties: true },
    resource: { type: "object", additionalProperties: true },
    traceId: { type: "string" },
    spanId: { type: "string" },
  },
} as const;

/**
 * GET /api/v1/logs: container log records, newest first, filtered by node, stack, service,
 * container, minimum severity, time range and full text, a page at a time (`next` continues to
 * older records). `tail` is a cursor for following: `after=<tail>` returns what was stored since,
 * oldest first. A stack-limited token only ever sees its stacks' records.
 */
export function logRoutes(deps: LogRoutesDeps): (app: FastifyInstance) => void {
  const maxLimit = deps.maxLimit ?? 1000;
  return (app) => {
    app.get<{ Querystring: LogQueryParams }>(
      "/api/v1/logs",
      {
        schema: {
          summary: "Search container logs: newest first, by node, stack, service, container, minimum severity, time range and words",
          tags: ["logs"],
          querystring: {
            type: "object",
            additionalProperties: false,
            properties: {
              node: { ...NAME, description: "Node id or hostname" },
              stack: { ...NAME, description: "Swarm stack (service.namespace)" },
              service: { ...NAME, description: "Service name (web) or Swarm service name (shop_web)" },
              container: { ...NAME, description: "Container name, id, or id prefix (12+ hex characters)" },
              severity: { type: "string", minLength: 1, maxLength: 16, description: "Minimum severity: 0-24 or trace, debug, info, warn, error, fatal" },
              level: { type: "string", minLength: 1, maxLength: 16, description: "The same as severity" },
              since: { ...TIME, description: "Oldest record: a duration back from now (10m), RFC 3339, or Unix ms" },
              until: { ...TIME, description: "Newest record: a duration back from now, RFC 3339, or Unix ms" },
              q: { type: "string", maxLength: 1024, description: "Words the record must contain (all of them); \"a phrase\" in quotes; word* for a prefix" },
              limit: { type: "integer", minimum: 1, maximum: maxLimit, default: 100, description: `Most records to return (at most ${maxLimit})` },
              cursor: { type: "string", maxLength: 64, description: "The next value of a previous answer: continues with older records" },
              after: { type: "string", maxLength: 64, description: "The tail value of a previous answer: records stored since, oldest first" },
            },
          },
          response: {
            200: {
              type: "object",
              properties: { records: { type: "array", items: RECORD }, next: { type: ["string", "null"] }, tail: { type: "string" } },
            },
          },
        },
      },
      async (req) => {
        const parsed = parseLogQuery(req.query, deps.now(), req.principal.stacks);
        if (!parsed.ok) throw new ApiError("invalid_parameter", parsed.error.message, parsed.error.field);
        const page = deps.store.query(parsed.filter);
        return { records: page.records, next: page.next ? encodePage(page.next) : null, tail: encodeTail(page.tail) };
      },
    );
  };
}
