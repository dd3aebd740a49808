import path from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { MAX_MESSAGE_BYTES } from "../protocol/index.js";
import { parseListen, type Logger } from "../lib/index.js";
import { buildApi } from "./api/server.js";
import { Ingest } from "./ingest/ingest.js";
import { ensureStreams } from "./ingest/streams.js";
import { createCollectorMetrics } from "./selfmetrics.js";
import { StateStore } from "./store/state-store.js";

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
  log: Logger;
  now?: () => number;
}

export interface Collector {
  url: string;
  store: StateStore;
  ingest: Ingest;
  stop(): Promise<void>;
}

export async function startCollector(options: CollectorOptions): Promise<Collector> {
  const log = options.log;
  const now = options.now ?? Date.now;
  const store = new StateStore(path.join(options.dataDir, "collector", "state.db"));

  let nc: NatsConnection;
  try {
    nc = await connect({ servers: options.natsUrl, name: "vigie-collector", maxReconnectAttempts: -1, reconnectTimeWait: 1000, pingInterval: 10_000 });
  } catch (err) {
    store.close();
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
    store: (env) => store.accept(env, now()).accepted,
    now,
    log,
  });
  await ingest.start();

  const metrics = createCollectorMetrics(ingest.stats, store, now);
  const app = buildApi({
    store,
    registry: metrics.registry,
    now,
    health: () => ({ ok: natsUp, details: { nats: natsUp ? "connected" : "disconnected", nodes: store.listNodes().length } }),
  });
  const { host, port } = parseListen(options.listen);
  await app.listen({ host, port });
  const addr = app.server.address();
  const url = `http://${host}:${typeof addr === "object" && addr ? addr.port : port}`;
  log.info({ url }, "collector started");

  return {
    url,
    store,
    ingest,
    async stop() {
      await app.close();
      await ingest.stop();
      await nc.drain().catch(() => nc.close());
      store.close();
      log.info("collector stopped");
    },
  };
}
