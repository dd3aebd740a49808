/**
 * Application status checks: discovered from `vigie.check.*` labels and configured in `checks:`,
 * HTTP(S) and TCP, health bodies (health+json, Spring Boot Actuator), Gatus-like conditions
 * compiled at load, thresholds, and results published as `status` messages.
 */
export { CheckRunner, type CheckRunnerOptions, type CheckView } from "./runner.js";
export { CheckConfigSchema, ChecksSectionSchema, type CheckConfig, type CheckConfigInput, type CheckDefinition } from "./config.js";
export { checkFromLabels, type CheckTarget } from "./labels.js";
export { dockerTargets } from "./docker-targets.js";
export { ServiceCheckLabels, CHECKS_BUCKET } from "./service-labels.js";
export { compileCondition, ConditionError, type CompiledCondition, type ProbeObservation } from "./conditions.js";
export { parseHealthBody, normalizeStatus, type HealthVerdict } from "./health.js";
export { applyRun, initialThresholdState, type ThresholdState } from "./thresholds.js";
export { probeHttp } from "./http-probe.js";
export { probeTcp } from "./tcp-probe.js";
export { judge } from "./judge.js";
export { numericLeaves, VALUE_LIMITS, type ValueLimits } from "./values.js";
