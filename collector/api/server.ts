import Fastify, { type FastifyInstance, type RouteOptions } from "fastify";
import { installAuth } from "../auth/hook.js";
import { TokenRegistry } from "../auth/tokens.js";
import { ApiError, fromValidation } from "./errors.js";
import { buildOpenApi, type DocumentedRoute } from "./openapi.js";

/**
 * A group of routes (nodes, containers, query, checks, …). A capability adds its routes by
 * adding a module to the list given to `buildApi`. Every route declares a JSON schema for its
 * input (with `additionalProperties: false`); that schema validates requests and becomes the
 * OpenAPI document.
 */
export type RouteModule = (app: FastifyInstance) => void;

export interface ApiDeps {
  /** Route modules, registered in order. */
  routes: readonly RouteModule[];
  /** API tokens; none configured = the API is open. */
  tokens?: TokenRegistry;
  /** Protect /metrics with a token too (default false). */
  metricsAuth?: boolean;
  version?: string;
}

/** The collector's HTTP surface: /healthz, /metrics and /api/v1. Routes are tested with inject(). */
export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    // Reject unknown parameters instead of silently dropping them; let a single `match[]` be a list.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: "array", useDefaults: true, allErrors: false } },
  });
  const documented: DocumentedRoute[] = [];
  app.addHook("onRoute", (route: RouteOptions) => {
    if (route.url.startsWith("/api/") && route.method !== "HEAD") documented.push({ method: route.method, url: route.url, schema: route.schema as DocumentedRoute["schema"], config: route.config });
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(new ApiError("not_found", `no route ${req.method} ${req.url.split("?")[0]}`).body());
  });
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown[]; validationContext?: string }, _req, reply) => {
    let e: ApiError;
    if (err instanceof ApiError) e = err;
    else if (err.validation) e = fromValidation(err.validationContext, err.validation as Parameters<typeof fromValidation>[1]);
    else if (err.statusCode && err.statusCode < 500) e = new ApiError("invalid_parameter", err.message);
    else e = new ApiError("internal", err.message);
    void reply.code(e.statusCode).send(e.body());
  });

  installAuth(app, { tokens: deps.tokens ?? new TokenRegistry([]), metricsAuth: deps.metricsAuth });

  for (const register of deps.routes) register(app);

  app.get("/api/v1/openapi.json", { schema: { summary: "This document (OpenAPI 3.0)", tags: ["meta"] } }, async () => buildOpenApi(documented, deps.version ?? "0.1.0"));
  return app;
}
