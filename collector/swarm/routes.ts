import type { FastifyRequest } from "fastify";
import type { RouteModule } from "../api/server.js";
import { canSeeStack } from "../auth/tokens.js";
import type { SwarmView } from "./model.js";
import type { SwarmStatus } from "./watcher.js";

/** The latest reading of the Swarm, and why there is none (the model's `swarm`, or a watcher). */
export interface SwarmSource {
  readonly status: SwarmStatus;
  view(): SwarmView | undefined;
}

/** A token limited to some stacks sees only their services and tasks (and no cluster-wide facts). */
function visible(req: FastifyRequest, v: SwarmView) {
  const p = req.principal;
  const services = p ? v.services.filter((s) => canSeeStack(p, s.stack)) : v.services;
  const names = new Set(services.map((s) => s.name));
  return { services, tasks: v.tasks.filter((t) => names.has(t.service)), limited: p?.stacks !== undefined };
}

/** `/api/v1/swarm…`: the manager's view of nodes, quorum, services and tasks. */
export function swarmRoutes(watcher: SwarmSource): RouteModule {
  return (app) => {
    const unavailable = () => ({ error: { code: "swarm_unavailable", message: `no swarm view: ${watcher.status.replace("_", " ")}` } });

    app.get("/api/v1/swarm", { schema: { summary: "Swarm nodes, manager quorum and services, as this manager sees them", tags: ["swarm"] } }, async (req, reply) => {
      const v = watcher.view();
      if (!v) return reply.code(503).send(unavailable());
      const { services, limited } = visible(req, v);
      return { status: watcher.status, time: new Date(v.time).toISOString(), managers: limited ? undefined : v.managers, nodes: limited ? [] : v.nodes, services };
    });

    app.get<{ Params: { name: string } }>(
      "/api/v1/swarm/services/:name",
      { schema: { summary: "One service with its tasks", tags: ["swarm"], params: { type: "object", properties: { name: { type: "string", minLength: 1, maxLength: 255 } }, required: ["name"] } } },
      async (req, reply) => {
        const v = watcher.view();
        if (!v) return reply.code(503).send(unavailable());
        const { services, tasks } = visible(req, v);
        const s = services.find((x) => x.name === req.params.name || x.id === req.params.name);
        if (!s) return reply.code(404).send({ error: { code: "not_found", message: `no service ${req.params.name}` } });
        return { ...s, tasks: tasks.filter((t) => t.service === s.name) };
      },
    );

    app.get<{ Querystring: { service?: string; node?: string; state?: string } }>(
      "/api/v1/swarm/tasks",
      {
        schema: {
          summary: "Swarm tasks, filtered by service, node (hostname or id) and state",
          tags: ["swarm"],
          querystring: {
            type: "object",
            additionalProperties: false,
            properties: { service: { type: "string", maxLength: 255 }, node: { type: "string", maxLength: 255 }, state: { type: "string", maxLength: 32 } },
          },
        },
      },
      async (req, reply) => {
        const v = watcher.view();
        if (!v) return reply.code(503).send(unavailable());
        const { service, node, state } = req.query;
        return {
          tasks: visible(req, v).tasks.filter((t) => (!service || t.service === service) && (!node || t.node === node || t.nodeId === node) && (!state || t.state === state)),
        };
      },
    );
  };
}
