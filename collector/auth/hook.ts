import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ApiError } from "../api/errors.js";
import { ANONYMOUS_ADMIN, type Principal, type Scope, type TokenRegistry } from "./tokens.js";

declare module "fastify" {
  interface FastifyRequest {
    /** Who is asking; set before any handler runs (anonymous admin when auth is off). */
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Scope a route needs: `none` (open), `read` (default for /api), `admin`. */
    scope?: Scope | "none";
  }
}

export interface AuthOptions {
  tokens: TokenRegistry;
  /** Protect /metrics with a read token (default false: Prometheus scrapes it openly). */
  metricsAuth?: boolean;
}

/**
 * Bearer-token authentication in front of every route: 401 without a known token, 403 when its
 * scope is too small. /healthz is always open; /metrics is open unless configured otherwise.
 */
export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  app.decorateRequest("principal", null as unknown as Principal);
  app.addHook("onRequest", async (req: FastifyRequest, reply: FastifyReply) => {
    const needed = requiredScope(req, options);
    if (!options.tokens.enabled) {
      req.principal = ANONYMOUS_ADMIN;
      return;
    }
    if (needed === "none") {
      req.principal = { name: "anonymous", scope: "read", stacks: new Set() };
      return;
    }
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) {
      void reply.header("www-authenticate", 'Bearer realm="vigie"');
      throw new ApiError("unauthorized", header ? "the Authorization header must be 'Bearer <token>'" : "this route needs an API token: send 'Authorization: Bearer <token>'");
    }
    const principal = options.tokens.authenticate(m[1] as string);
    if (!principal) {
      void reply.header("www-authenticate", 'Bearer realm="vigie", error="invalid_token"');
      throw new ApiError("unauthorized", "unknown API token");
    }
    if (needed === "admin" && principal.scope !== "admin") throw new ApiError("forbidden", `this route needs a token with scope admin; ${principal.name} has scope ${principal.scope}`);
    if (req.url.startsWith("/metrics") && principal.stacks) throw new ApiError("forbidden", `/metrics shows every stack; ${principal.name} is limited to some stacks`);
    req.principal = principal;
  });
}

function requiredScope(req: FastifyRequest, options: AuthOptions): Scope | "none" {
  const configured = req.routeOptions.config?.scope;
  if (configured) return configured;
  const path = req.url.split("?")[0] ?? "";
  if (path === "/healthz") return "none";
  if (path === "/metrics") return options.metricsAuth ? "read" : "none";
  return "read";
}
