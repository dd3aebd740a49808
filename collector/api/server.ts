import http from "node:http";
import type { Socket } from "node:net";
import Fastify, { type FastifyInstance, type FastifyReply, type RouteOptions } from "fastify";
import { installAuth } from "../auth/hook.js";
import { AuthError } from "../auth/errors.js";
import { TokenRegistry } from "../auth/tokens.js";
import { ApiError, codeForStatus, fromValidation } from "./errors.js";
import { buildOpenApi, type DocumentedRoute } from "./openapi.js";

/**
 * A group of routes (nodes, containers, query, checks, …). A capability adds its routes by
 * adding a module to the list given to `buildApi`. Every route declares a JSON schema for its
 * input (with `additionalProperties: false`); that schema validates requests and becomes the
 * OpenAPI document.
 */
export type RouteModule = (app: FastifyInstance) => void;

/**
 * What one client may hold of the server. A client sending its request a byte every few seconds,
 * or opening thousands of sockets, must not keep the collector's file descriptors or its loop.
 */
export interface HttpLimits {
  /** Whole request (headers and body) must arrive within this, in ms; else 408. Default 30 s. */
  requestTimeoutMs?: number;
  /** Headers must arrive within this, in ms; else 408. Default 10 s. */
  headersTimeoutMs?: number;
  /** An open connection with no traffic is closed after this, in ms (keep-alive included). Default 60 s. */
  idleTimeoutMs?: number;
  /** Open connections at most; further ones are closed at once. Default 1024. */
  maxConnections?: number;
  /** How often Node checks the request and header timeouts, in ms. Default 1 s. */
  timeoutCheckMs?: number;
}

export interface ApiDeps {
  /** Route modules, registered in order. */
  routes: readonly RouteModule[];
  /** API tokens; none configured = the API is open. */
  tokens?: TokenRegistry;
  /** Protect /metrics with a token too (default false). */
  metricsAuth?: boolean;
  version?: string;
  /** The clock for tokens' expiry. Default `Date.now`. */
  now?: () => number;
  http?: HttpLimits;
}

/** The collector's HTTP surface: /healthz, /metrics and /api/v1. Routes are tested with inject(). */
export function buildApi(deps: ApiDeps): FastifyInstance {
  const limits = deps.http ?? {};
  const requestTimeout = limits.requestTimeoutMs ?? 30_000;
  const app = Fastify({
    logger: false,
    // Reject unknown parameters instead of silently dropping them; let a single `match[]` be a list.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: "array", useDefaults: true, allErrors: false } },
    serverFactory: (handler) => {
      const server = http.createServer(
        {
          requestTimeout,
          headersTimeout: Math.min(limits.headersTimeoutMs ?? 10_000, requestTimeout),
          connectionsCheckingInterval: limits.timeoutCheckMs ?? 1000,
        },
        handler,
      );
      const idle = limits.idleTimeoutMs ?? 60_000;
      server.setTimeout(idle);
      server.keepAliveTimeout = Math.min(5000, idle);
      server.maxConnections = limits.maxConnections ?? 1024;
      return server;
    },
    // Refusals made before routing (a bad URL encoding) answer in the API's error shape too.
    frameworkErrors: (err, _req, reply) => {
      const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 400;
      void (reply as unknown as FastifyReply).code(status).send(new ApiError(codeForStatus(status), err.message, undefined, status).body());
    },
    // Refusals by Node's HTTP parser (431 headers too large, 400 bad request, 408 timeout) never
    // reach fastify: written on the socket in the same shape.
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => {
      if (!socket.writable) return socket.destroy();
      const status = err.code === "HPE_HEADER_OVERFLOW" ? 431 : err.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : err.code === "HPE_URI_TOO_LONG" ? 414 : 400;
      const body = JSON.stringify(new ApiError(codeForStatus(status), clientErrorMessage(status), undefined, status).body());
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? "Error"}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    },
  });
  const documented: DocumentedRoute[] = [];
  app.addHook("onRoute", (route: RouteOptions) => {
    if (route.url.startsWith("/api/") && route.method !== "HEAD") documented.push({ method: route.method, url: route.url, schema: route.schema as DocumentedRoute["schema"], config: route.config });
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send(new ApiError("not_found", `no route ${req.method} ${(req.url.split("?")[0] ?? "").slice(0, 200)}`).body());
  });
  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown[]; validationContext?: string }, _req, reply) => {
    let e: ApiError;
    if (err instanceof ApiError) e = err;
    else if (err instanceof AuthError) {
      if (err.challenge) void reply.header("www-authenticate", err.challenge);
      e = new ApiError(err.code, err.message);
    } else if (err.validation) e = fromValidation(err.validationContext, err.validation as Parameters<typeof fromValidation>[1]);
    else if (err.statusCode === 400) e = new ApiError("invalid_parameter", err.message);
    else if (err.statusCode && err.statusCode > 400 && err.statusCode < 500) e = new ApiError(codeForStatus(err.statusCode), err.message, undefined, err.statusCode);
    else e = new ApiError("internal", err.message);
    void reply.code(e.statusCode).send(e.body());
  });

  installAuth(app, { tokens: deps.tokens ?? new TokenRegistry([]), metricsAuth: deps.metricsAuth, now: deps.now ?? Date.now });

  for (const register of deps.routes) register(app);

  app.get("/api/v1/openapi.json", { schema: { summary: "This document (OpenAPI 3.0)", tags: ["meta"] } }, async () => buildOpenApi(documented, deps.version ?? "0.1.0"));
  return app;
}

function clientErrorMessage(status: number): string {
  switch (status) {
    case 431: return "request headers too large";
    case 408: return "the request did not arrive in time";
    case 414: return "request URI too long";
    default: return "malformed HTTP request";
  }
}
