import { canSeeStack, type Principal } from "../../auth/tokens.js";
import type { ClusterModel, ContainerFilter } from "../../model/index.js";
import { ApiError } from "../errors.js";
import { NEXT, page, PAGE_PARAMS, type PageQuery } from "../paging.js";
import type { RouteModule } from "../server.js";

export interface ContainerRoutesDeps {
  model: Pick<ClusterModel, "containers" | "services" | "tasks">;
}

const NAME = { type: "string", minLength: 1, maxLength: 253, pattern: "^[A-Za-z0-9_.-]+$" } as const;
const CONTAINER_VIEW = { type: "object", additionalProperties: true } as const;

/** /api/v1/containers, /api/v1/services[/{name}], /api/v1/tasks: the model's answers, limited to what the token may see. */
export function containerRoutes(deps: ContainerRoutesDeps): RouteModule {
  const where =
    (principal: Principal, f: { node?: string; stack?: string; service?: string }): ContainerFilter =>
    (c) =>
      canSeeStack(principal, c.stack ?? undefined) &&
      (!f.node || c.node === f.node || c.nodeId === f.node) &&
      (!f.stack || c.stack === f.stack) &&
      (!f.service || c.swarmService === f.service || c.service === f.service);

  return (app) => {
    app.get<{ Querystring: { node?: string; stack?: string; service?: string } & PageQuery }>(
      "/api/v1/containers",
      {
        schema: {
          summary: "Containers on every node, as their agents last reported them",
          tags: ["cluster"],
          querystring: {
            type: "object",
            additionalProperties: false,
            properties: { node: { ...NAME, description: "Hostname or node id" }, stack: { ...NAME, description: "Swarm stack (service.namespace)" }, service: { ...NAME, description: "Swarm service (stack_name) or service name" }, ...PAGE_PARAMS },
          },
          response: { 200: { type: "object", properties: { containers: { type: "array", items: CONTAINER_VIEW }, next: NEXT } } },
        },
      },
      async (req) => {
        const { items, next } = page(deps.model.containers(where(req.principal, req.query)), req.query);
        return { containers: items, next };
      },
    );

    app.get<{ Querystring: { stack?: string } & PageQuery }>(
      "/api/v1/services",
      {
        schema: {
          summary: "Services with running and healthy replicas, CPU and memory summed over their containers",
          tags: ["cluster"],
          querystring: { type: "object", additionalProperties: false, properties: { stack: { ...NAME, description: "Swarm stack" }, ...PAGE_PARAMS } },
        },
      },
      async (req) => {
        const { items, next } = page(deps.model.services(where(req.principal, req.query)), req.query);
        return { services: items, next };
      },
    );

    app.get<{ Params: { name: string } }>(
      "/api/v1/services/:name",
      {
        schema: {
          summary: "One service by its Swarm name (stack_service), with its containers",
          tags: ["cluster"],
          params: { type: "object", additionalProperties: false, required: ["name"], properties: { name: NAME } },
        },
      },
      async (req) => {
        const selected = where(req.principal, { service: req.params.name });
        const containers = deps.model.containers(selected);
        const [service] = deps.model.services(selected);
        if (!service) throw new ApiError("not_found", `no service ${JSON.stringify(req.params.name)} reported by any agent`, "name");
        return { ...service, containers };
      },
    );

    app.get<{ Querystring: { node?: string; stack?: string; service?: string } & PageQuery }>(
      "/api/v1/tasks",
      {
        schema: {
          summary: "Swarm tasks (service, slot, node, state) as seen through their containers",
          tags: ["cluster"],
          querystring: { type: "object", additionalProperties: false, properties: { node: NAME, stack: NAME, service: NAME, ...PAGE_PARAMS } },
        },
      },
      async (req) => {
        const { items, next } = page(deps.model.tasks(where(req.principal, req.query)), req.query);
        return { tasks: items, next };
      },
    );
  };
}
