import type { FastifyInstance } from "fastify";
import type { SwarmWatcher } from "./watcher.js";

/** `/api/v1/swarm…`: the manager's view of nodes, quorum, services and tasks. */
export function swarmRoutes(app: FastifyInstance, watcher: SwarmWatcher): void {
  const unavailable = () => ({ error: { code: "swarm_unavailable", message: `no swarm view: ${watcher.status.replace("_", " ")}` } });

  app.get("/api/v1/swarm", async (_req, reply) => {
    const v = watcher.view();
    if (!v) return reply.code(503).send(unavailable());
    return { status: watcher.status, time: new Date(v.time).toISOString(), managers: v.managers, nodes: v.nodes, services: v.services };
  });

  app.get<{ Params: { name: string } }>(
    "/api/v1/swarm/services/:name",
    { schema: { params: { type: "object", properties: { name: { type: "string", minLength: 1, maxLength: 255 } }, required: ["name"] } } },
    async (req, reply) => {
      const v = watcher.view();
      if (!v) return reply.code(503).send(unavailable());
      const s = v.services.find((x) => x.name === req.params.name || x.id === req.params.name);
      if (!s) return reply.code(404).send({ error: { code: "not_found", message: `no service ${req.params.name}` } });
      return { ...s, tasks: v.tasks.filter((t) => t.service === s.name) };
    },
  );

  app.get<{ Querystring: { service?: string; node?: string; state?: string } }>(
    "/api/v1/swarm/tasks",
    {
      schema: {
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
        tasks: v.tasks.filter((t) => (!service || t.service === service) && (!node || t.node === node || t.nodeId === node) && (!state || t.state === state)),
      };
    },
  );
}
