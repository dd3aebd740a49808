import type { FastifyInstance, FastifyRequest } from "fastify";
import { AuthError } from "./errors.js";
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
  /** The clock tokens' `expires` is read against (Unix ms). */
  now: () => number;
}

/**
 * Bearer-token authentication in front of every route: 401 without a known, unexpired token, 403
 * when its scope is too small. /healthz is always open; /metrics is open unless configured
 * otherwise. Every decision is made on the route the router matched (`/%6detrics` is routed to
 * /metrics, so it is judged as /metrics), never on the raw request URL; a request that matches
 * no route needs a read token before it learns so.
 */
export function installAuth(app: FastifyInstance, options: AuthOptions): void {
  app.decorateRequest("principal", null as unknown as Principal);
  app.addHook("onRequest", async (req: FastifyRequest) => {
    const route = routedPath(req);
    const needed = requiredScope(req, route, options);
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
      throw new AuthError("unauthorized", header ? "the Authorization header must be 'Bearer <token>'" : "this route needs an API token: send 'Authorization: Bearer <token>'", 'Bearer realm="vigie"');
    }
    const principal = options.tokens.authenticate(m[1] as string);
    if (!principal) throw new AuthError("unauthorized", "unknown API token", 'Bearer realm="vigie", error="invalid_token"');
    if (principal.expires !== undefined && options.now() >= principal.expires) {
      throw new AuthError("unauthorized", `API token ${principal.name} expired at ${new Date(principal.expires).toISOString()}`, 'Bearer realm="vigie", error="invalid_token"');
    }
    if (needed === "admin" && principal.scope !== "admin") throw new AuthError("forbidden", `this route needs a token with scope admin; ${principal.name} has scope ${principal.scope}`);
    if (route === "/metrics" && principal.stacks) throw new AuthError("forbidden", `/metrics shows every stack; ${principal.name} is limited to some stacks`);
    req.principal = principal;
  });
}

/** The route's path as registered (`/api/v1/nodes/:id`), or undefined when no route matched. */
function routedPath(req: FastifyRequest): string | undefined {
  return req.routeOptions.url;
}

function requiredScope(req: FastifyRequest, route: string | undefined, options: AuthOptions): Scope | "none" {
  const configured = req.routeOptions.config?.scope;
  if (configured) return configured;
  if (route === "/healthz") return "none";
  if (route === "/metrics") return options.metricsAuth ? "read" : "none";
  return "read";
}
