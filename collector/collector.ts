import path from "node:path";
import { hostname } from "node:os";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { MAX_MESSAGE_BYTES, type EnvelopeOf } from "../protocol/index.js";
import { parseListen, type Logger } from "../lib/index.js";
import { buildApi, type HttpLimits, type RouteModule } from "./api/server.js";
import { containerRoutes } from "./api/routes/containers.js";
import { nodeRoutes } from "./api/routes/nodes.js";
import { queryRoutes } from "./api/routes/query.js";
import { systemRoutes } from "./api/routes/system.js";
import { loadTokens, TokenRegistry, type TokenSpec } from "./auth/tokens.js";
import { ModelMetricReader, ModelServiceReader, startAutoscaler, type AutoscaleCapability, type AutoscaleSection } from "./autoscale/index.js";
import { checkRoutes, registerCheckMetrics } from "./checks/index.js";
import { collectorAlerts, type CollectorAlertsOptions } from "./alerts/collector-alerts.js";
import { clusterExposition } from "./exposition/cluster.js";
import { LogStore, logRetentionLoop, logRoutes, registerLogMetrics } from "./logs/index.js";
import type { AbsenceOptions } from "./history/absence.js";
import type { LatestMetrics } from "./history/latest.js";
import { registerHistoryMetrics } from "./history/metrics.js";
import { replayMetrics } from "./history/replay.js";
import type { HistoryOptions, MetricsHistory } from "./history/store.js";
import { Ingest, type IngestOptions } from "./ingest/ingest.js";
import { checkTimes, DEFAULT_CLOCK_POLICY } from "./ingest/clock.js";
import { ensureStreams } from "./ingest/streams.js";
import { openModel, type ClusterModel, type ExtraHandlers } from "./model/index.js";
import { modelLoops } from "./model/loops.js";
import { createCollectorMetrics } from "./selfmetrics.js";
import type { StateStore } from "./store/state-store.js";
import { registerSwarmMetrics } from "./swarm/metrics.js";
import { swarmRoutes } from "./swarm/routes.js";
import { SwarmWatcher } from "./swarm/watcher.js";
import { describeEngine, swarmDocker, swarmEngine, type SwarmSetting } from "./swarm/engine.js";
import { CheckDefinitionsPublisher } from "./swarm/check-definitions.js";

/** Everything the collector needs, already validated (the CLI maps configuration onto this). */
export interface CollectorOptions {
  natsUrl: string;
  /** NATS user and password (deploy/nats/nats.conf's `collector`); none on an open server. */
  natsAuth?: { user: string; pass?: string };
  /** host:port of the API; `127.0.0.1:9480` by default, port 0 picks a free one. */
  listen: string;
  /** SQLite state under `<dataDir>/collector`. */
  dataDir: string;
  /** Stream retention in ms. */
  streamMaxAgeMs: number;
  streamMaxBytes: number;
  streamReplicas: number;
  /** Durable consumer name; collectors sharing it split the load. Default `vigie-collector`. */
  durable: string;
  maxMessageBytes?: number;
  /** Ingest's bounds on what agents send: the clock-skew policy, deliveries, per-node share. */
  ingest?: Pick<IngestOptions, "clock" | "maxDeliveries" | "fairShare">;
  /** One admin API token (`VIGIE_API_TOKEN`). No token at all = the API is open. */
  apiToken?: string;
  /** A YAML/JSON file of tokens with scopes and stacks (`VIGIE_API_TOKENS_FILE`). */
  apiTokensFile?: string;
  /** Tokens given directly (tests, embedding). */
  apiTokens?: TokenSpec[];
  /** Require a read token on /metrics too. Default false. */
  metricsAuth?: boolean;
  /** Timeouts and connection cap of the API's HTTP server. */
  http?: HttpLimits;
  /** When a silent node is stale (3 intervals) and down (default 2 min). */
  absence?: AbsenceOptions;
  /**
   * The Swarm view from the engine of `DOCKER_HOST`, else the local socket (when it is a
   * manager), every 10 s. `enabled`: default "auto", on when DOCKER_HOST is set or the socket exists.
   */
  swarm?: { enabled?: SwarmSetting; socketPath?: string; intervalMs?: number };
  /** Raw window (default 1 h), rollup retention (default 7 d), series bound. */
  history?: HistoryOptions;
  /** The log store's retention by age (default 7 d) and size (default 1 GiB): `collector.logs.*`. */
  logs?: { retentionMs?: number; maxBytes?: number };
  /** The autoscaler's validated section; it runs where the Swarm view is on. Undefined: no autoscaler. */
  autoscale?: AutoscaleSection;
  /** Extra route modules (alerts, …), registered after the built-in ones. */
  routes?: RouteModule[];
  /** More stores for some kinds of message (the log store for `logs`), given to the model. */
  handlers?: ExtraHandlers;
  /**
   * Called once the model is open, before the stream is replayed and ingest starts: subscribe
   * here (alert engine, autoscaler) to miss no change.
   */
  onModel?: (model: ClusterModel) => void;
  /** Alert rules, evaluation and notifications (the `alerts` section); none when absent. */
  alerts?: CollectorAlertsOptions;
  log: Logger;
  now?: () => number;
}

export interface Collector {
  url: string;
  /** The cluster's model: every store, the queries and the change feed. */
  model: ClusterModel;
  store: StateStore;
  ingest: Ingest;
  /** Metrics at sample resolution (memory) and 1-minute rollups (disk). */
  history: MetricsHistory;
  /** What every node last reported. */
  latest: LatestMetrics;
  /** The Swarm view, when enabled. */
  swarm?: SwarmWatcher;
  /** Container log records (`<dataDir>/collector/logs.db`), searched by `GET /api/v1/logs`. */
  logs: LogStore;
  /** The autoscaler, when it runs: `autoscale.audit.subscribe` hears every decision (scale events for alert receivers). */
  autoscale?: AutoscaleCapability;
  stop(): Promise<void>;
}

/** Wires the collector's parts together: model, NATS ingest, Swarm watcher, loops, API. */
export async function startCollector(options: CollectorOptions): Promise<Collector> {
  const log = options.log;
  const now = options.now ?? Date.now;
  const tokens = new TokenRegistry([...loadTokens({ token: options.apiToken, tokensFile: options.apiTokensFile }), ...(options.apiTokens ?? [])]);
  if (!tokens.enabled) log.warn("no API token configured: the API is open to anyone who can reach it");
  const absence = options.absence ?? {};
  const maxMessageBytes = options.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  // Before anything is opened: a DOCKER_HOST the client cannot read stops start-up here.
  const engine = swarmEngine(options.swarm ?? {});
  const swarmClient = engine ? swarmDocker(engine) : undefined;
  // Container logs: their own database, written by the model as the `logs` kind's extra handler.
  const logs = new LogStore(path.join(options.dataDir, "collector", "logs.db"), options.logs);
  const logRetention = logRetentionLoop(logs, { log: log.child({ component: "logs" }), now });
  const handlers = { ...options.handlers, logs: (env: EnvelopeOf<"logs">, receivedAt: number) => void logs.append(env, receivedAt) };
  const model = openModel({ dataDir: options.dataDir, history: options.history, absence, handlers, log: log.child({ component: "model" }), now });
  model.on("nodeStatus", (c) => {
    const fields = { node: c.hostname, nodeId: c.nodeId, from: c.from, to: c.to };
    if (c.to === "up") log.info(fields, `node ${c.hostname} reports again`);
    else log.warn(fields, `node ${c.hostname} is ${c.to}: its agent stopped reporting`);
  });
  // Alerts subscribe to the model before the replay and ingest, like onModel; started once /metrics exists.
  let alerts: ReturnType<typeof collectorAlerts> | undefined;
  try {
    // The error-log rate rules read the log store's counts.
    const logRate = (filter: { service?: string; stack?: string; node?: string; minSeverity: number }, windowMs: number, t: number) => logs.rate(filter, windowMs, t);
    alerts = options.alerts ? collectorAlerts(model, { logRate, ...options.alerts, dataDir: options.dataDir, listen: options.listen, log, now }) : undefined;
    options.onModel?.(model);
  } catch (err) {
    await alerts?.stop();
    model.close(now());
    logs.close();
    throw err;
  }

  let nc: NatsConnection;
  try {
    nc = await connect({ servers: options.natsUrl, name: "vigie-collector", ...options.natsAuth, maxReconnectAttempts: -1, reconnectTimeWait: 1000, pingInterval: 10_000 });
  } catch (err) {
    await alerts?.stop();
    model.close(now());
    logs.close();
    throw new Error(`cannot connect to NATS at ${options.natsUrl}: ${(err as Error).message}`, { cause: err });
  }
  let natsUp = true;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") {
        natsUp = false;
        log.warn({ server: s.server }, "disconnected from NATS");
      } else if (s.type === "reconnect") {
        natsUp = true;
        log.info({ server: s.server }, "reconnected to NATS");
      }
    }
  })();

  await ensureStreams(await jetstreamManager(nc), { maxAgeMs: options.streamMaxAgeMs, maxBytes: options.streamMaxBytes, replicas: options.streamReplicas });
  const ingest = new Ingest(nc, { durable: options.durable, maxMessageBytes, store: (env) => model.apply(env, now()), now, log, ...options.ingest });
  const clock = { ...DEFAULT_CLOCK_POLICY, ...options.ingest?.clock };
  // The history window lives in memory: read it back from the stream before new messages arrive.
  // Two intervals before the window prime the counters, so the window's first rates are the live ones.
  const history = model.history;
  const replayed = await replayMetrics(nc, { since: now() - history.windowMs, primeMs: 2 * history.intervalMs, maxMessageBytes }, (env, priming) => {
    // Messages stored before the clock-skew policy existed are not replayed past it.
    if (checkTimes(env, now(), clock)) return;
    model.replay(env, priming);
  }).catch(
    (err: unknown) => {
      log.warn({ err: (err as Error).message }, "could not replay the metrics history from the stream");
      return 0;
    },
  );
  if (replayed > 0) log.info({ messages: replayed }, "metrics history rebuilt from the stream");
  await ingest.start();

  const metrics = createCollectorMetrics(ingest.stats, model, now);
  registerHistoryMetrics(metrics.registry, history);
  registerCheckMetrics(metrics.registry, model.checks, now);
  registerLogMetrics(metrics.registry, logs);
  logRetention.start();
  if (engine) log.info({ engine: describeEngine(engine) }, "Swarm view reads from the Docker engine");
  else log.info("Swarm view off (collector.swarm.enabled, or no Docker socket)");
  // Service check labels, which only managers can read, go to every agent through NATS KV.
  const checkDefinitions = new CheckDefinitionsPublisher(nc, log.child({ component: "swarm" }));
  const swarm = swarmClient
    ? new SwarmWatcher(swarmClient, {
        intervalMs: options.swarm?.intervalMs ?? 10_000,
        log: log.child({ component: "swarm" }),
        now,
        onReading: (status, view) => {
          model.setSwarm(status, view);
          void checkDefinitions.publish(view);
        },
      })
    : undefined;
  if (swarm) {
    registerSwarmMetrics(metrics.registry, () => model.swarm.view());
    swarm.start();
  }
  // The autoscaler scales through the engine the Swarm view reads, on the agents' numbers as the model holds them.
  const autoscale =
    swarm && swarmClient && options.autoscale
      ? await startAutoscaler({
          section: options.autoscale,
          nc,
          docker: swarmClient,
          services: new ModelServiceReader(swarmClient, model),
          metrics: new ModelMetricReader(model, now),
          dataDir: options.dataDir,
          holderId: `${hostname()}:${process.pid}`,
          notify: alerts?.notifyEvent,
          log: log.child({ component: "autoscale" }),
          now,
        })
      : undefined;
  autoscale?.registerMetrics(metrics.registry);
  const loops = modelLoops(model, { statusIntervalMs: Math.max(1000, Math.min(absence.defaultIntervalMs ?? 10_000, 10_000)), now, log });
  loops.start();
  alerts?.start(metrics.registry);

  const app = buildApi({
    tokens,
    metricsAuth: options.metricsAuth,
    http: options.http,
    now,
    routes: [
      systemRoutes({
        registry: metrics.registry,
        exposition: clusterExposition(model, metrics.registry, now),
        health: () => ({ ok: natsUp, details: { nats: natsUp ? "connected" : "disconnected", nodes: model.nodes(now()).length } }),
      }),
      nodeRoutes({ model, now }),
      containerRoutes({ model }),
      queryRoutes({ history, now }),
      checkRoutes({ state: model.checks, now }),
      logRoutes({ store: logs, now }),
      ...(swarm ? [swarmRoutes(model.swarm)] : []),
      ...(autoscale ? [autoscale.routes] : []),
      ...(alerts ? [alerts.routes] : []),
      ...(options.routes ?? []),
    ],
  });
  const { host, port } = parseListen(options.listen);
  await app.listen({ host, port });
  const addr = app.server.address();
  const url = `http://${host}:${typeof addr === "object" && addr ? addr.port : port}`;
  log.info({ url }, "collector started");

  return {
    url,
    model,
    store: model.state,
    ingest,
    history,
    latest: model.latest,
    swarm,
    logs,
    autoscale,
    async stop() {
      await swarm?.stop();
      await checkDefinitions.settled();
      await app.close();
      await ingest.stop();
      await loops.stop();
      await autoscale?.stop();
      await alerts?.stop();
      await nc.drain().catch(() => nc.close());
      model.close(now());
      await logRetention.stop();
      logs.close();
      log.info("collector stopped");
    },
  };
}
