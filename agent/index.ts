/** The per-node agent: samples the host, containers and checks, and publishes over JetStream through one emitter. */
export { startAgent, AGENT_VERSION, type Agent, type AgentOptions } from "./agent.js";
export type { Emitter, MetricSample, MetricSource, PayloadOf, Source } from "./source.js";
export { DURABILITY } from "./publish/emitter.js";
