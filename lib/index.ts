/** Small runtime pieces shared by agent and collector: durations, the periodic loop, logging. */
export * from "./duration.js";
export * from "./periodic.js";
export * from "./log.js";
export * from "./promstats.js";
export * from "./http.js";
export * from "./tracing.js";
export * from "./version.js";
export * from "./open-files.js";
export * from "./backoff.js";
