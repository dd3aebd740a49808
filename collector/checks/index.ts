/**
 * The collector's side of status checks: their state (fed by the model from `status` messages),
 * GET /api/v1/checks, and the blackbox_exporter-named metrics.
 */
export { ChecksState, type CheckRecord, type CheckSource, type CheckTransition, type ChecksStateOptions } from "./state.js";
export { checkRoutes, type CheckRoutesDeps } from "./routes.js";
export { registerCheckMetrics } from "./metrics.js";
