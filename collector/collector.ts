import { existsSync } from "node:fs";
import path from "node:path";
import Docker from "dockerode";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { MAX_MESSAGE_BYTES } from "../protocol/index.js";
import { parseListen, type Logger } from "../lib/index.js";
import { buildApi, type HttpLimits, type RouteModule } from "./api/server.js";
import { nodeRoutes } from "./api/routes/nodes.js";
import { systemRoutes } from "./api/routes/system.js";
import { loadTokens, TokenRegistry, type TokenSpec } from "./auth/tokens.js";
import { ExpositionRenderer } from "./exposition/render.js";
import { renderNodeStatus } from "./exposition/nodes.js";
import { registerExpositionMetrics, type ExpositionStats } from "./exposition/metrics.js";
import { AbsenceTracker, nodeStatus, type AbsenceOptions } from "./history/absence.js";
import { LatestMetrics } from "./history/latest.js";
import { registerHistoryMetrics } from "./history/metrics.js";
import { MetricsHistory, type HistoryOptions } from "./history/store.js";
import { queryRoutes } from "./api/routes/query.js";
import { containerRoutes } from "./api/routes/containers.js";
import { replayMetrics } from "./history/replay.js";
import { Periodic } from "../lib/index.js";
import { Ingest, type IngestOptions } from "./ingest/ingest.js";
import { checkTimes, DEFAULT_CLOCK_POLICY } from "./ingest/clock.js";
import { ensureStreams } from "./ingest/streams.js";
import { createCollectorMetrics } from "./selfmetrics.js";
import { StateStore } from "./store/state-store.js";
import { attachChecks } from "./checks/index.js";
import { registerSwarmMetrics } from "./swarm/metrics.js";
import { swarmRoutes } from "./swarm/routes.js";
import { SwarmWatcher } from "./swarm/watcher.js";

/** Everything the collector needs, already validated (the CLI maps configuration onto this). */
export interface CollectorOptions {
  natsUrl: string;
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
   * The Swarm view from the local engine (when it is a manager). Default: on when the Docker
   * socket exists, every 10 s.
   */
  swarm?: { enabled?: boolean; socketPath?: string; intervalMs?: number };
  /** Raw window (default 1 h), rollup retention (default 7 d), series bound. */
  history?: HistoryOptions;
  /** Extra route modules (checks, alerts, …), registered after the built-in ones. */
  routes?: RouteModule[];
  log: Logger;
  now?: () => number;
}

export interface Collector {
  url: string;
  store: StateStore;
  ingest: Ingest;
  /** Metrics at sample resolution (memory) and 1-minute rollups (disk). */
  history: MetricsHistory;
  /** What every node last reported. */
  latest: LatestMetrics;
  /** The Swarm view, when enabled. */
  swarm?: SwarmWatcher;
  stop(): Promise<void>;
}

export async function startCollector(options: CollectorOptions): Promise<Collector> {
  const log = options.log;
  const now = options.now ?? Date.now;
  const tokens = new TokenRegistry([...loadTokens({ token: options.apiToken, tokensFile: options.apiTokensFile }), ...(options.apiTokens ?? [])]);
  if (!tokens.enabled) log.warn("no API token configured: the API is open to anyone who can reach it");
  const absence = options.absence ?? {};
  const store = new StateStore(path.join(options.dataDir, "collector", "state.db"));
  const checks = attachChecks({ store, now });
  const latest = new LatestMetrics({ defaultIntervalMs: absence.defaultIntervalMs });
  const history = new MetricsHistory(path.join(options.dataDir, "collector", "history.db"), { ...options.history, now });

  let nc: NatsConnection;
  try {
    nc = await connect({ servers: options.natsUrl, name: "vigie-collector", maxReconnectAttempts: -1, reconnectTimeWait: 1000, pingInterval: 10_000 });
  } catch (err) {
    store.close();
    history.close();
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
  const ingest = new Ingest(nc, {
    durable: options.durable,
    maxMessageBytes: options.maxMessageBytes ?? MAX_MESSAGE_BYTES,
    store: (env) => {
      const accepted = store.accept(env, now()).accepted;
      // In-memory views are derived after the message is durable; a restart rebuilds them.
      if (accepted && env.kind === "metrics") {
        latest.apply(env);
        history.append(env);
      }
      return accepted;
    },
    now,
    log,
    ...options.ingest,
  });
  const clock = { ...DEFAULT_CLOCK_POLICY, ...options.ingest?.clock };
  // The history window lives in memory: read it back from the stream before new messages arrive.
  // Two intervals before the window prime the counters, so the window's first rates are the live ones.
  const replayed = await replayMetrics(nc, { since: now() - history.windowMs, primeMs: 2 * history.intervalMs, maxMessageBytes: options.maxMessageBytes ?? MAX_MESSAGE_BYTES }, (env, priming) => {
    // Messages stored before the clock-skew policy existed are not replayed past it.
    if (checkTimes(env, now(), clock)) return;
    if (!priming) latest.apply(env);
    history.append(env, { primeOnly: priming });
  }).catch((err: unknown) => {
    log.warn({ err: (err as Error).message }, "could not replay the metrics history from the stream");
    return 0;
  });
  if (replayed > 0) log.info({ messages: replayed }, "metrics history rebuilt from the stream");
  await ingest.start();

  const metrics = createCollectorMetrics(ingest.stats, store, now);
  const socketPath = options.swarm?.socketPath ?? "/var/run/docker.sock";
  const swarm =
    (options.swarm?.enabled ?? existsSync(socketPath))
      ? new SwarmWatcher(new Docker({ socketPath }), { intervalMs: options.swarm?.intervalMs ?? 10_000, log: log.child({ component: "swarm" }), now })
      : undefined;
  if (swarm) {
    registerSwarmMetrics(metrics.registry, () => swarm.view());
    swarm.start();
  }
  registerHistoryMetrics(metrics.registry, history);
  let flushTicks = 0;
  const flushLoop = new Periodic(
    { name: "history-flush", intervalMs: 250, runAtStart: false, onError: (err) => log.error({ err: (err as Error).message }, "history flush failed") },
    async () => {
      if (++flushTicks % 60 === 0) history.maintain(now());
      // At most ~40 ms of SQLite per tick: messages wait behind a synchronous flush.
      history.flush(20_000, 40);
    },
  );
  flushLoop.start();
  const tracker = new AbsenceTracker();
  const absenceLoop = new Periodic({ name: "absence", intervalMs: Math.max(1000, Math.min(absence.defaultIntervalMs ?? 10_000, 10_000)), runAtStart: false }, async () => {
    const t = now();
    const changes = tracker.update(store.listNodes().map((n) => ({ id: n.id, hostname: n.hostname, status: nodeStatus(n.lastSeen, t, latest.get(n.id)?.intervalMs, absence) })));
    for (const c of changes) {
      const fields = { node: c.hostname, nodeId: c.nodeId, from: c.from, to: c.to };
      if (c.to === "up") log.info(fields, `node ${c.hostname} reports again`);
      else log.warn(fields, `node ${c.hostname} is ${c.to}: its agent stopped reporting`);
    }
  });
  absenceLoop.start();
  const renderer = new ExpositionRenderer();
  const expositionStats: ExpositionStats = { lastRenderSeconds: 0, lastBytes: 0 };
  registerExpositionMetrics(metrics.registry, expositionStats);
  const exposition = () => {
    const started = performance.now();
    const t = now();
    const statuses = store.listNodes().map((n) => ({ node: n, status: nodeStatus(n.lastSeen, t, latest.get(n.id)?.intervalMs, absence) }));
    // Only nodes that are reporting: a silent node's last values must not look current.
    const up = statuses.flatMap((s) => (s.status === "up" ? [latest.get(s.node.id)] : [])).filter((n) => n !== undefined);
    const text = renderer.render(up) + renderNodeStatus(statuses.map((s) => ({ id: s.node.id, hostname: s.node.hostname, status: s.status })));
    expositionStats.lastRenderSeconds = (performance.now() - started) / 1000;
    expositionStats.lastBytes = text.length;
    expositionStats.mergedSeries = renderer.lastMerged;
    return text;
  };
  const app = buildApi({
    tokens,
    metricsAuth: options.metricsAuth,
    http: options.http,
    now,
    routes: [
      systemRoutes({
        registry: metrics.registry,
        exposition,
        health: () => ({ ok: natsUp, details: { nats: natsUp ? "connected" : "disconnected", nodes: store.listNodes().length } }),
      }),
      nodeRoutes({ store, latest, absence, now }),
      containerRoutes({ latest, history, desiredReplicas: swarm ? (name) => swarm.view()?.services.find((x) => x.name === name)?.desired : undefined }),
      queryRoutes({ history, now }),
      ...(swarm ? [(app: Parameters<typeof swarmRoutes>[0]) => swarmRoutes(app, swarm)] : []),
      ...(options.routes ?? []),
    ],
  });
  checks.register(app, metrics.registry);
  const { host, port } = parseListen(options.listen);
  await app.listen({ host, port });
  const addr = app.server.address();
  const url = `http://${host}:${typeof addr === "object" && addr ? addr.port : port}`;
  log.info({ url }, "collector started");

  return {
    url,
    store,
    ingest,
    history,
    latest,
    swarm,
    async stop() {
      await swarm?.stop();
      await app.close();
      await ingest.stop();
      await flushLoop.stop();
      await absenceLoop.stop();
      history.maintain(now());
      history.flush();
      history.close();
      await nc.drain().catch(() => nc.close());
      store.close();
      log.info("collector stopped");
    },
  };
}
