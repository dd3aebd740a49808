import type { ClusterModel, NodeSummary } from "../../model/index.js";
import { ApiError } from "../errors.js";
import { isoTime } from "../dates.js";
import { NEXT, page, PAGE_PARAMS, type PageQuery } from "../paging.js";
import { canSeeStack, type Principal } from "../../auth/tokens.js";
import { ATTR } from "../../../protocol/index.js";
import type { RouteModule } from "../server.js";

export interface NodeRoutesDeps {
  model: Pick<ClusterModel, "nodes" | "node" | "accounting" | "latest">;
  now: () => number;
}

const NODE_VIEW = {
  type: "object",
  properties: {
    id: { type: "string" },
    hostname: { type: "string" },
    status: { type: "string", enum: ["up", "stale", "down"] },
    lastSeen: { type: ["string", "null"], format: "date-time" },
    lastSeenSecondsAgo: { type: "number" },
    intervalSeconds: { type: ["number", "null"] },
    sampledAt: { type: ["string", "null"] },
    agent: { type: "object", additionalProperties: true },
    cpu: { type: ["object", "null"], additionalProperties: true },
    memory: { type: ["object", "null"], additionalProperties: true },
    containers: { type: "integer" },
    messages: { type: "object", additionalProperties: true },
  },
} as const;

/** /api/v1/nodes[/{id}]: every node the agents reported, with its status (up, stale, down). */
export function nodeRoutes(deps: NodeRoutesDeps): RouteModule {
  // A stack-limited token counts only the containers of its stacks.
  const containerCount = (nodeId: string, total: number, p: Principal) => {
    const metrics = deps.model.latest.get(nodeId);
    if (!metrics || p.stacks === undefined) return total;
    let n = 0;
    for (const c of metrics.containers.values()) {
      const stack = c.resource[ATTR.serviceNamespace];
      if (canSeeStack(p, stack === undefined ? undefined : String(stack))) n++;
    }
    return n;
  };
  const view = ({ node: n, status, intervalMs, containers }: NodeSummary, now: number, p: Principal) => ({
    id: n.id,
    hostname: n.hostname,
    status,
    lastSeen: isoTime(n.lastSeen),
    lastSeenSecondsAgo: Math.max(0, Math.round((now - n.lastSeen) / 100) / 10),
    intervalSeconds: intervalMs !== undefined ? intervalMs / 1000 : null,
    sampledAt: n.lastSampleTime ? isoTime(n.lastSampleTime) : null,
    agent: { version: n.agentVersion, bootId: n.bootId },
    cpu: n.cpu ?? null,
    memory: n.memory ?? null,
    containers: containerCount(n.id, containers, p),
    messages: deps.model.accounting(n.id),
  });
  return (app) => {
    app.get<{ Querystring: { status?: string } & PageQuery }>(
      "/api/v1/nodes",
      {
        schema: {
          summary: "Nodes, with their status (up, stale after 3 missed intervals, down after a configurable silence)",
          tags: ["cluster"],
          querystring: { type: "object", additionalProperties: false, properties: { status: { type: "string", enum: ["up", "stale", "down"], description: "Only nodes in this status" }, ...PAGE_PARAMS } },
          response: { 200: { type: "object", properties: { nodes: { type: "array", items: NODE_VIEW }, next: NEXT } } },
        },
      },
      async (req) => {
        const now = deps.now();
        const all = deps.model.nodes(now);
        const wanted = req.query.status ? all.filter((n) => n.status === req.query.status) : all;
        const { items, next } = page(wanted, req.query);
        return { nodes: items.map((n) => view(n, now, req.principal)), next };
      },
    );
    app.get<{ Params: { id: string } }>(
      "/api/v1/nodes/:id",
      {
        schema: {
          summary: "One node, by id or hostname",
          tags: ["cluster"],
          params: { type: "object", additionalProperties: false, required: ["id"], properties: { id: { type: "string", minLength: 1, maxLength: 253 } } },
          response: { 200: NODE_VIEW },
        },
      },
      async (req) => {
        const now = deps.now();
        const n = deps.model.node(req.params.id, now);
        if (!n) throw new ApiError("not_found", `no node with id or hostname ${JSON.stringify(req.params.id)}`, "id");
        return view(n, now, req.principal);
      },
    );
  };
}
