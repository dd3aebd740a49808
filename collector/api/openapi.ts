import { ERROR_SCHEMA } from "./errors.js";

declare module "fastify" {
  interface FastifySchema {
    /** One line for the OpenAPI document. */
    summary?: string;
    description?: string;
    tags?: string[];
  }
}

export interface DocumentedRoute {
  method: string | string[];
  url: string;
  schema?: { summary?: string; description?: string; tags?: string[]; querystring?: unknown; params?: unknown; body?: unknown; response?: Record<string, unknown> };
  config?: { scope?: string };
}

interface JsonSchemaObject {
  properties?: Record<string, { description?: string } & Record<string, unknown>>;
  required?: string[];
}

/** Builds the OpenAPI 3.0 document from the routes' own JSON schemas: the document cannot drift from what is validated. */
export function buildOpenApi(routes: readonly DocumentedRoute[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    for (const m of methods) {
      const parameters = [...params(r.schema?.querystring, "query"), ...params(r.schema?.params, "path")];
      const responses: Record<string, unknown> = {};
      for (const [code, schema] of Object.entries(r.schema?.response ?? {})) {
        responses[code] = { description: code === "200" ? "OK" : "Answer", content: { "application/json": { schema } } };
      }
      if (!responses["200"]) responses["200"] = { description: "OK" };
      responses["400"] = { description: "A parameter is invalid; `field` names it", content: { "application/json": { schema: ERROR_SCHEMA } } };
      responses["401"] = { description: "No or unknown token", content: { "application/json": { schema: ERROR_SCHEMA } } };
      responses["403"] = { description: "The token's scope or stacks do not allow this", content: { "application/json": { schema: ERROR_SCHEMA } } };
      paths[path] ??= {};
      (paths[path])[m.toLowerCase()] = {
        summary: r.schema?.summary,
        description: r.schema?.description,
        tags: r.schema?.tags,
        parameters,
        ...(r.schema?.body ? { requestBody: { required: true, content: { "application/json": { schema: r.schema.body } } } } : {}),
        responses,
        ...(r.config?.scope === "admin" ? { "x-vigie-scope": "admin" } : {}),
      };
    }
  }
  return {
    openapi: "3.0.3",
    info: { title: "Vigie collector API", version },
    components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    security: [{ bearer: [] }],
    paths,
  };
}

function params(schema: unknown, where: "query" | "path"): Record<string, unknown>[] {
  const s = schema as JsonSchemaObject | undefined;
  if (!s?.properties) return [];
  return Object.entries(s.properties).map(([name, prop]) => {
    const { description, ...rest } = prop;
    return { name, in: where, required: where === "path" || (s.required ?? []).includes(name), description, schema: rest };
  });
}
