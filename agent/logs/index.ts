/**
 * Container logs: collected from the engine's files or its log stream, normalized into
 * OpenTelemetry log records (severity, multi-line stack traces, truncation, redaction), rate
 * limited per container, and handed to the agent's emitter.
 */
export { LogSource, LOGS_OPT_OUT_LABEL, MAX_DROP_SERVICES, type LogSourceOptions } from "./source.js";
export { registerLogDropMetrics } from "./metrics.js";
export { emitterSink, splitRecords, MAX_RECORDS_PER_MESSAGE } from "./batches.js";
export { engineLogPorts, type EngineLogPortsOptions } from "./engine.js";
export { LogsConfigSchema, defaultLogsConfig, type LogsConfig, type LogsConfigInput } from "./config.js";
export type { ContainerLister, LogContainer, LogSink, LogStreamOpener } from "./ports.js";
export type { ContainerLogStats } from "./follower.js";
