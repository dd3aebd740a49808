/** The per-node agent: samples the host (and later containers, checks, logs) and publishes over JetStream. */
export { startAgent, AGENT_VERSION, type Agent, type AgentOptions } from "./agent.js";
export type { MetricSource } from "./source.js";
