import type { AgentOptions } from "../agent/index.js";
import type { CollectorOptions } from "../collector/index.js";
import type { Logger } from "../lib/index.js";
import { natsCredentials } from "../lib/secrets.js";
import { ConfigError } from "./config/load.js";
import type { Config } from "./config/schema.js";

/** NATS user and password (from `nats.passwordFile`, read here once), or none. */
function natsAuth(config: Config): { user: string; pass?: string } | undefined {
  try {
    return natsCredentials(config.nats);
  } catch (err) {
    throw new ConfigError([(err as Error).message]);
  }
}

/** Maps the validated configuration onto the agent's options: the one place they meet. */
export function agentOptions(config: Config, log: Logger): AgentOptions {
  return {
    natsUrl: config.nats.url,
    natsAuth: natsAuth(config),
    intervalMs: config.interval,
    listen: config.agent.listen,
    dataDir: config.dataDir,
    hostRoot: config.agent.hostRoot,
    host: config.agent.host,
    spoolMaxBytes: config.agent.spoolMaxBytes,
    spoolWriteAfterMs: config.agent.spoolWriteAfter,
    dockerSocket: config.agent.containers ? config.agent.dockerSocket : false,
    nodeId: config.nodeId,
    hostname: config.hostname,
    checks: config.checks,
    logs: config.agent.logs,
    log,
  };
}

export function collectorOptions(config: Config, log: Logger): CollectorOptions {
  return {
    natsUrl: config.nats.url,
    natsAuth: natsAuth(config),
    listen: config.api.listen,
    dataDir: config.dataDir,
    streamMaxAgeMs: config.nats.streamMaxAge,
    streamMaxBytes: config.nats.streamMaxBytes,
    streamReplicas: config.nats.streamReplicas,
    durable: config.collector.durable,
    maxMessageBytes: config.collector.maxMessageBytes,
    ingest: { clock: { maxFutureMs: config.ingest.maxClockSkew, maxAgeMs: config.ingest.maxMessageAge } },
    apiToken: config.api.token,
    apiTokensFile: config.api.tokensFile,
    metricsAuth: config.api.metricsAuth,
    http: { requestTimeoutMs: config.api.requestTimeout, headersTimeoutMs: config.api.headersTimeout, idleTimeoutMs: config.api.idleTimeout, maxConnections: config.api.maxConnections },
    history: { windowMs: config.collector.historyWindow, retentionMs: config.collector.historyRetention, maxSeries: config.collector.historyMaxSeries, intervalMs: config.interval },
    absence: { downAfterMs: config.collector.nodeDownAfter, defaultIntervalMs: config.interval },
    logs: { retentionMs: config.collector.logs.retention, maxBytes: config.collector.logs.maxBytes },
    swarm: { enabled: config.collector.swarm.enabled },
    autoscale: config.autoscale,
    alerts: { section: config.alerts },
    log,
  };
}
