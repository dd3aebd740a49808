import type { ClusterModel, NodeSummary } from "../../model/index.js";
import { ApiError } from "../errors.js";
import type { RouteModule } from "../server.js";

export interface NodeRoutesDeps {
  model: Pick<ClusterModel, "nodes" | "node" | "accounting">;
  now: () => number;
}

const NODE_VIEW = {
  type: "object",
  properties: {
    id: { type: "string" },
    hostname: { type: "string" },
    status: { type: "string", enum: ["up", "stale", "down"] },
    lastSeen: { type: "string", format: "date-time" },
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
  const view = ({ node: n, status, intervalMs, containers }: NodeSummary, now: number) => ({
    id: n.id,
    hostname: n.hostname,
    status,
    lastSeen: new Date(n.lastSeen).toISOString(),
    lastSeenSecondsAgo: Math.max(0, Math.round((now - n.lastSeen) / 100) / 10),
    intervalSeconds: intervalMs !== undefined ? intervalMs / 1000 : null,
    sampledAt: n.lastSampleTime ? new Date(n.lastSampleTime).toISOString() : null,
    agent: { version: n.agentVersion, bootId: n.bootId },
    cpu: n.cpu ?? null,
    memory: n.memory ?? null,
    containers,
    messages: deps.model.accounting(n.id),
  });
  return (app) => {
    app.get<{ Querystring: { status?: string } }>(
      "/api/v1/nodes",
      {
        schema: {
          summary: "Nodes, with their status (up, stale after 3 missed intervals, down after a configurable silence)",
          tags: ["cluster"],
          querystring: { type: "object", additionalProperties: false, properties: { status: { type: "string", enum: ["up", "stale", "down"], description: "Only nodes in this status" } } },
          response: { 200: { type: "object", properties: { nodes: { type: "array", items: NODE_VIEW } } } },
        },
      },
      async (req) => {
        const now = deps.now();
        const nodes = deps.model.nodes(now).map((n) => view(n, now));
        return { nodes: req.query.status ? nodes.filter((n) => n.status === req.query.status) : nodes };
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
        return view(n, now);
      },
    );
  };
}
