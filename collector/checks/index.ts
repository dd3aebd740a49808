import type { FastifyInstance } from "fastify";
import type { Registry } from "prom-client";
import type { StateStore } from "../store/state-store.js";
import { registerCheckMetrics } from "./metrics.js";
import { checkRoutes } from "./routes.js";
import { ChecksState, type ChecksStateOptions } from "./state.js";

export { ChecksState, type CheckRecord } from "./state.js";
export { checkRoutes } from "./routes.js";
export { registerCheckMetrics } from "./metrics.js";

export interface ChecksCapability {
  state: ChecksState;
  /** Adds GET /api/v1/checks to the API and the probe_* metrics to the registry. */
  register(app: FastifyInstance, registry: Registry): void;
}

/**
 * The collector's side of status checks: takes `status` messages from the store (register it
 * before ingest starts), serves /api/v1/checks and blackbox_exporter-named metrics.
 */
export function attachChecks(deps: { store: StateStore; now: () => number } & ChecksStateOptions): ChecksCapability {
  const state = new ChecksState(deps);
  deps.store.onKind("status", (env, receivedAt) => {
    if (env.kind === "status") state.apply(env, receivedAt);
  });
  return {
    state,
    register(app, registry) {
      checkRoutes({ state, now: deps.now })(app);
      registerCheckMetrics(registry, state, deps.now);
    },
  };
}
