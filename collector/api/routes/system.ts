import type { Registry } from "prom-client";
import type { RouteModule } from "../server.js";

export interface SystemRoutesDeps {
  /** Reports whether the collector is ready (connected, consuming). */
  health: () => { ok: boolean; details: Record<string, unknown> };
  /** The collector's own metrics (`vigie_*`), rendered by prom-client. */
  registry: Registry;
  /** The ecosystem-named families (node_exporter, cAdvisor), rendered from the state. */
  exposition?: () => string;
}

/** /healthz (always open) and /metrics (Prometheus text format 0.0.4). */
export function systemRoutes(deps: SystemRoutesDeps): RouteModule {
  return (app) => {
    app.get("/healthz", async (_req, reply) => {
      const h = deps.health();
      return reply.code(h.ok ? 200 : 503).send({ status: h.ok ? "ok" : "unavailable", ...h.details });
    });
    app.get("/metrics", async (_req, reply) => {
      const own = await deps.registry.metrics();
      const body = deps.exposition ? own + deps.exposition() : own;
      return reply.type("text/plain; version=0.0.4; charset=utf-8").send(body);
    });
  };
}
