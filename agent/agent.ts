import path from "node:path";
import { pointCount, type ResourceMetrics } from "../protocol/index.js";
import { ATTR } from "../protocol/index.js";
import { inSpan, Periodic, serveRoutes, type Logger, VIGIE_VERSION } from "../lib/index.js";
import { HostSource, type HostFilters } from "./host/index.js";
import { ContainerSource, dockerApi } from "./containers/index.js";
import { CheckRunner, dockerTargets, type CheckConfigInput, type CheckTarget } from "./checks/index.js";
import { swarmIdentity } from "./identity/swarm.js";
import { resolveIdentity, type NodeIdentity } from "./identity/identity.js";
import { NatsLink } from "./publish/connection.js";
import { Outbox } from "./publish/outbox.js";
import { Publisher } from "./publish/publisher.js";
import { Spool } from "./publish/spool.js";
import { createAgentMetrics, type AgentMetrics } from "./selfmetrics.js";
import type { MetricSource } from "./source.js";

export const AGENT_VERSION = VIGIE_VERSION;

/** Everything the agent needs, already validated (the CLI maps configuration onto this). */
export interface AgentOptions {
  natsUrl: string;
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
   * A message not acknowledged by JetStream this long after it was made is written to the disk
   * spool (and every waiting one at shutdown). Default 1 s; 0 writes each message before sending.
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
  log: Logger;
}

export interface Agent {
  identity: NodeIdentity;
  url: string;
  outbox: Outbox;
  publisher: Publisher;
  spool: Spool;
  metrics: AgentMetrics;
  /** The status checks of this node. */
  checks: CheckRunner;
  /** Runs one sampling cycle now (the periodic loop does it every interval). */
  sampleNow(): Promise<void>;
  stop(): Promise<void>;
}

export async function startAgent(options: AgentOptions): Promise<Agent> {
  const log = options.log;
  const docker = options.dockerSocket === false ? undefined : dockerApi({ socketPath: options.dockerSocket });
  const identity = await resolveIdentity({
    hostRoot: options.hostRoot,
    nodeId: options.nodeId,
    hostname: options.hostname,
    swarm: docker ? () => swarmIdentity(docker) : undefined,
  });
  const resource = { [ATTR.hostName]: identity.hostname, [ATTR.nodeId]: identity.nodeId };
  const sources: MetricSource[] = [new HostSource({ ...options.host, hostRoot: options.hostRoot, resource })];

  const checks = new CheckRunner({
    checks: options.checks,
    listTargets: options.checkTargets ?? (options.dockerSocket === false ? false : dockerTargets({ socketPath: options.dockerSocket })),
    concurrency: options.checkConcurrency,
    publish: (payload, time) => outbox.send("status", payload, time),
    log,
  });
  const spool = await Spool.open(path.join(options.dataDir, "agent", "spool"), options.spoolMaxBytes, { writeAfterMs: options.spoolWriteAfterMs });
  const publisher = new Publisher(spool, log);
  const outbox = new Outbox({ nodeId: identity.nodeId, hostname: identity.hostname, version: AGENT_VERSION }, spool, publisher);
  const link = new NatsLink({ url: options.natsUrl, name: `vigie-agent-${identity.hostname}` }, publisher, log);
  const containers = docker
    ? new ContainerSource({
        api: docker,
        hostRoot: options.hostRoot,
        resource,
        log,
        // The safety-net list (and the OOM kill counts read with it) once a minute, whatever the interval.
        listEveryCycles: Math.max(1, Math.round(60_000 / options.intervalMs)),
        // Events go out at once, not at the next cycle: their own message, spooled like the rest.
        onEvents: (events) => {
          outbox.send("events", { events }, Date.now()).catch((err: unknown) => log.error({ err: (err as Error).message }, "cannot spool events"));
        },
      })
    : undefined;
  if (containers) sources.push(containers);
  const metrics = createAgentMetrics(publisher.stats, spool.stats, () => link.connected, () => containers?.dockerUp);
  if (spool.size > 0) log.info({ messages: spool.size }, "spool holds messages from an earlier run; they go first");

  // One trace per cycle: sample here, publish in the publisher, ingest and store in the collector.
  const cycle = (signal: AbortSignal) => inSpan("vigie.sample", { "host.name": identity.hostname, "node.id": identity.nodeId }, () => sampleCycle(signal));

  async function sampleCycle(signal: AbortSignal): Promise<void> {
    const end = metrics.cycleDuration.startTimer();
    const time = Date.now();
    const results = await Promise.allSettled(sources.map((s) => s.sample(signal)));
    const resources: ResourceMetrics[] = [];
    results.forEach((r, i) => {
      const name = (sources[i] as MetricSource).name;
      if (r.status === "fulfilled") {
        resources.push(...r.value);
        metrics.samples.inc({ source: name }, r.value.reduce((n, rm) => n + pointCount(rm), 0));
      } else {
        metrics.sourceErrors.inc({ source: name });
        log.warn({ source: name, err: (r.reason as Error).message }, "source failed this cycle");
      }
    });
    // Whether a container absent from this message has gone (the engine answered), or is not known this cycle.
    const containersComplete = containers ? results[sources.indexOf(containers)]?.status === "fulfilled" && containers.complete : undefined;
    await outbox.send("metrics", containersComplete === undefined ? { resources } : { resources, containersComplete }, time);
    metrics.cycles.inc();
    end();
  }

  const loop = new Periodic(
    { name: "sampling", intervalMs: options.intervalMs, reuseSignal: true, onError: (err) => log.error({ err: (err as Error).message }, "sampling cycle failed") },
    cycle,
  );
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
  loop.start();
  containers?.start();
  checks.start();
  log.info({ node: identity, url: http.url, intervalMs: options.intervalMs }, "agent started");

  return {
    identity,
    url: http.url,
    outbox,
    publisher,
    spool,
    metrics,
    checks,
    sampleNow: () => loop.tick(),
    async stop() {
      await loop.stop();
      await checks.stop();
      await publisher.flush(2000);
      await publisher.stop();
      await spool.close(); // what NATS did not take goes to disk, first out at the next start
      await link.close();
      await Promise.all(sources.map(async (s) => s.close?.()));
      await http.close();
      log.info("agent stopped");
    },
  };
}
