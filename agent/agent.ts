import path from "node:path";
import { ATTR } from "../protocol/index.js";
import { serveRoutes, type Logger, VIGIE_VERSION } from "../lib/index.js";
import { HostSource, type HostFilters } from "./host/index.js";
import { ContainerSource, DockerEngine, dockerApi } from "./containers/index.js";
import { CheckRunner, dockerTargets, ServiceCheckLabels, type CheckConfigInput, type CheckTarget } from "./checks/index.js";
import { engineLogPorts, LogsConfigSchema, LogSource, registerLogDropMetrics, type LogsConfigInput } from "./logs/index.js";
import { swarmIdentity } from "./identity/swarm.js";
import { resolveIdentity, type NodeIdentity } from "./identity/identity.js";
import { NatsLink } from "./publish/connection.js";
import { EnvelopeEmitter } from "./publish/emitter.js";
import { Publisher } from "./publish/publisher.js";
import { Spool } from "./publish/spool.js";
import { SamplingLoop } from "./sampling.js";
import { createAgentMetrics, type AgentMetrics } from "./selfmetrics.js";
import type { Emitter, MetricSource, Source } from "./source.js";

export const AGENT_VERSION = VIGIE_VERSION;

/** Everything the agent needs, already validated (the CLI maps configuration onto this). */
export interface AgentOptions {
  natsUrl: string;
  /** NATS user and password (deploy/nats/nats.conf's `agent`); none on an open server. */
  natsAuth?: { user: string; pass?: string };
  /** Sampling interval in ms. Default 10 s. */
  intervalMs: number;
  /** host:port for /metrics and /healthz; `127.0.0.1:9481` by default, `:0` picks a free port. */
  listen: string;
  /** Spool and other state live under `<dataDir>/agent`. */
  dataDir: string;
  /** Where the host's filesystem is mounted (`/`, or `/host` in a container). */
  hostRoot: string;
  /**
   * What host sampling leaves out (filesystem types, mount points, disks, network interfaces),
   * as regular expressions. Defaults: node_exporter's (pseudo filesystems, `/dev` `/proc` `/sys`
   * and Docker's storage, partitions and loop devices) plus loopback and veth interfaces.
   */
  host?: HostFilters;
  spoolMaxBytes: number;
  /**
   * A metrics or status message not acknowledged by JetStream this long after it was made is
   * written to the disk spool (and every waiting one at shutdown). Default 1 s; 0 writes each
   * message before sending. Events and logs are always written before sending (`publish/emitter.ts`).
   */
  spoolWriteAfterMs?: number;
  nodeId?: string;
  hostname?: string;
  /**
   * The Docker Engine's socket: containers, their events and the Swarm node identity come from
   * it. Default `/var/run/docker.sock`; `false` leaves containers out (a host without Docker).
   */
  dockerSocket?: string | false;
  /** Status checks of the `checks:` configuration section (validated again here; a bad one stops start-up). */
  checks?: CheckConfigInput[];
  /**
   * Lists containers whose `vigie.check.*` labels declare checks. Default: the containers of
   * `dockerSocket` (none when it is false); `false` turns label discovery off.
   */
  checkTargets?: (() => Promise<CheckTarget[]>) | false;
  /** Probes running at once. Default 16. */
  checkConcurrency?: number;
  /**
   * Container logs (the `agent.logs` section, validated again here): shipped from every running
   * container of `dockerSocket` unless `enabled: false`; none without Docker.
   */
  logs?: LogsConfigInput;
  log: Logger;
}

export interface Agent {
  identity: NodeIdentity;
  url: string;
  /** The one way out every source hands its records to (`emit(kind, payload, time)`). */
  emitter: EnvelopeEmitter;
  /** The same object as `emitter` (its `lastSeq` is read by tests of the pipeline). */
  outbox: EnvelopeEmitter;
  publisher: Publisher;
  spool: Spool;
  metrics: AgentMetrics;
  /** The Docker engine port every part shares (undefined without Docker). */
  docker: DockerEngine | undefined;
  /** The status checks of this node. */
  checks: CheckRunner;
  /** Container log collection (undefined without Docker or with `logs.enabled: false`). */
  logs: LogSource | undefined;
  /** Runs one sampling cycle now (the periodic loop does it every interval). */
  sampleNow(): Promise<void>;
  stop(): Promise<void>;
}

export async function startAgent(options: AgentOptions): Promise<Agent> {
  const log = options.log;
  const docker = options.dockerSocket === false ? undefined : new DockerEngine(dockerApi({ socketPath: options.dockerSocket }));
  const identity = await resolveIdentity({
    hostRoot: options.hostRoot,
    nodeId: options.nodeId,
    hostname: options.hostname,
    swarm: docker ? () => swarmIdentity(docker) : undefined,
  });
  const resource = { [ATTR.hostName]: identity.hostname, [ATTR.nodeId]: identity.nodeId };

  // The way out: spool (disk), publisher (JetStream), and the emitter in front of them.
  const spool = await Spool.open(path.join(options.dataDir, "agent", "spool"), options.spoolMaxBytes, { writeAfterMs: options.spoolWriteAfterMs });
  const publisher = new Publisher(spool, log);
  const emitter = new EnvelopeEmitter({ nodeId: identity.nodeId, hostname: identity.hostname, version: AGENT_VERSION }, spool, publisher);
  const link = new NatsLink({ url: options.natsUrl, name: `vigie-agent-${identity.hostname}`, ...options.natsAuth }, publisher, log);
  if (spool.size > 0) log.info({ messages: spool.size }, "spool holds messages from an earlier run; they go first");

  // The sources: each is handed the emitter at start and knows nothing behind it.
  const metricSources: MetricSource[] = [new HostSource({ ...options.host, hostRoot: options.hostRoot, resource })];
  const containers = docker
    ? new ContainerSource({
        engine: docker,
        hostRoot: options.hostRoot,
        resource,
        log,
        // The safety-net list (and the OOM kill counts read with it) once a minute, whatever the interval.
        listEveryCycles: Math.max(1, Math.round(60_000 / options.intervalMs)),
      })
    : undefined;
  if (containers) metricSources.push(containers);
  const metrics = createAgentMetrics(publisher.stats, spool.stats, () => link.connected, () => docker?.up);
  const sampling = new SamplingLoop({ intervalMs: options.intervalMs, sources: metricSources, metrics, log, spanAttributes: { "host.name": identity.hostname, "node.id": identity.nodeId } });
  // On a worker the engine cannot say a service's labels: the collector publishes them.
  const published = docker && !options.checkTargets ? ServiceCheckLabels.watch({ natsUrl: options.natsUrl, ...options.natsAuth }, log) : undefined;
  const checks = new CheckRunner({
    checks: options.checks,
    listTargets: options.checkTargets ?? (docker ? dockerTargets(docker, { published: (id) => published?.get(id) }) : false),
    concurrency: options.checkConcurrency,
    log,
  });
  const logsConfig = LogsConfigSchema.parse(options.logs ?? {});
  const logs =
    docker && logsConfig.enabled
      ? new LogSource({
          // Through the one engine port and its breaker: listing, inspects (LogPath, driver, TTY) and log streams.
          ...engineLogPorts({ engine: docker, resource }),
          config: logsConfig,
          hostRoot: options.hostRoot,
          stateDir: path.join(options.dataDir, "agent", "logs"),
          log: log.child({ component: "logs" }),
        })
      : undefined;
  if (logs) registerLogDropMetrics(metrics.registry, logs);
  // Started in this order, stopped in the reverse one: the events stream outlives the sampling
  // loop, and logs stop first so their last records are in the spool before it closes.
  const sources: Source[] = [...(containers ? [containers] : []), sampling, checks, ...(logs ? [logs] : [])];
  // A container's start or death is seen by the events stream first: the log source lists again then.
  const refreshing: Emitter = {
    emit(kind, payload, time) {
      if (logs && kind === "events" && (payload as { events: { action: string }[] }).events.some((e) => e.action === "start" || e.action === "die")) logs.refresh();
      return emitter.emit(kind, payload, time);
    },
  };

  const http = await serveRoutes(options.listen, {
    "/healthz": (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }).end(
        JSON.stringify({ status: "ok", node: identity, nats: link.connected ? "connected" : "disconnected", spool: spool.stats, publisher: publisher.stats, checks: { active: checks.list().length, ...checks.stats } }),
      );
    },
    "/metrics": async (_req, res) => {
      const body = await metrics.registry.metrics();
      res.writeHead(200, { "content-type": metrics.registry.contentType }).end(body);
    },
  });
  for (const source of sources) source.start(source === containers ? refreshing : emitter);
  log.info({ node: identity, url: http.url, intervalMs: options.intervalMs }, "agent started");

  return {
    identity,
    url: http.url,
    emitter,
    outbox: emitter,
    publisher,
    spool,
    metrics,
    docker,
    checks,
    logs,
    sampleNow: () => sampling.sampleNow(),
    async stop() {
      for (const source of [...sources].reverse()) await source.stop();
      await published?.close();
      await publisher.flush(2000);
      await publisher.stop();
      await spool.close(); // what NATS did not take goes to disk, first out at the next start
      await link.close();
      await http.close();
      log.info("agent stopped");
    },
  };
}
