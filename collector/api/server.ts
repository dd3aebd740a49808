import Fastify, { type FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import type { StateStore } from "../store/state-store.js";

export interface ApiDeps {
  store: StateStore;
  registry: Registry;
  now: () => number;
  /** Reports whether the collector is ready (connected, consuming). */
  health: () => { ok: boolean; details: Record<string, unknown> };
}

/** The collector's HTTP surface: /healthz, /metrics and /api/v1. Routes are tested with inject(). */
export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({ logger: false });

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: { code: "not_found", message: `no route ${req.method} ${req.url}` } });
  });
  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    void reply.code(status).send({ error: { code: status === 400 ? "bad_request" : (err.code ?? "internal"), message: err.message } });
  });

  app.get("/healthz", async (_req, reply) => {
    const h = deps.health();
    return reply.code(h.ok ? 200 : 503).send({ status: h.ok ? "ok" : "unavailable", ...h.details });
  });

  app.get("/metrics", async (_req, reply) => {
    const body = await deps.registry.metrics();
    return reply.type(deps.registry.contentType).send(body);
  });

  app.get("/api/v1/nodes", async () => {
    const now = deps.now();
    return { nodes: deps.store.listNodes().map((n) => nodeView(n, deps.store, now)) };
  });

  app.get<{ Params: { id: string } }>("/api/v1/nodes/:id", async (req, reply) => {
    const n = deps.store.getNode(req.params.id) ?? deps.store.listNodes().find((x) => x.hostname === req.params.id);
    if (!n) return reply.code(404).send({ error: { code: "not_found", message: `no node ${req.params.id}` } });
    return nodeView(n, deps.store, deps.now());
  });

  return app;
}

function nodeView(n: ReturnType<StateStore["listNodes"]>[number], store: StateStore, now: number) {
  return {
    id: n.id,
    hostname: n.hostname,
    lastSeen: new Date(n.lastSeen).toISOString(),
    lastSeenSecondsAgo: Math.max(0, Math.round((now - n.lastSeen) / 100) / 10),
    sampledAt: n.lastSampleTime ? new Date(n.lastSampleTime).toISOString() : null,
    agent: { version: n.agentVersion, bootId: n.bootId },
    cpu: n.cpu ?? null,
    memory: n.memory ?? null,
    messages: store.accounting(n.id),
  };
}
