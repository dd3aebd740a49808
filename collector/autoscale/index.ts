/**
 * The autoscaler: scales Swarm services that opted in (`vigie.autoscale.enabled=true`) the way
 * Kubernetes' HPA scales deployments, on CPU, memory, a number from the service's status check,
 * or a NATS JetStream consumer's backlog.
 *
 * - `policy.ts`, `config.ts`: the policy from labels and the configuration file, parsed once.
 * - `hpa.ts`, `decide.ts`: the pure core (replica calculation; stabilization, step, bounds, cooldowns).
 * - `observe.ts`: from a service's metric to a recommendation.
 * - `autoscaler.ts`: the loop, behind the ports of `ports.ts`.
 * - `actuator.ts` (Docker), `queue.ts` (JetStream), `lease.ts` and `memory-store.ts` (JetStream KV): the
 *   edges; `memory.ts` is what the memory of cooldowns and stabilization looks like when stored.
 * - `model-readers.ts`: the collector's readers — per-task usage from the model, services from the
 *   manager's engine with health from the model.
 * - `docker-services.ts`, `docker-usage.ts`: readers straight over the engine, for tests and tools
 *   without a model (the collector never reads usage from the engine's stats).
 * - `audit.ts`, `routes.ts`, `metrics.ts`: the trail of decisions, `/api/v1/autoscale[/events]`, `/metrics`.
 * - `notice.ts`: scale events as alerts (`VigieAutoscale`) for the alert receivers.
 */
import path from "node:path";
import type Docker from "dockerode";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import type { Registry } from "prom-client";
import type { Logger } from "../../lib/index.js";
import type { RouteModule } from "../api/server.js";
import { DockerActuator } from "./actuator.js";
import { AuditTrail } from "./audit.js";
import { Autoscaler } from "./autoscaler.js";
import { configuredPolicies, type AutoscaleSection } from "./config.js";
import { KvLease } from "./lease.js";
import { KvMemoryStore } from "./memory-store.js";
import { registerAutoscaleMetrics } from "./metrics.js";
import { scaleNotice, type ScaleNotice } from "./notice.js";
import type { MetricReader, ServiceReader } from "./ports.js";
import { JetStreamQueueReader } from "./queue.js";
import { autoscaleRoutes } from "./routes.js";

export { AutoscaleSectionSchema, AutoscalePolicySchema, configuredPolicies, type AutoscaleSection } from "./config.js";
export { Autoscaler, type AutoscalerOptions, type AutoscalerStatus, type DecisionRecord } from "./autoscaler.js";
export { AuditTrail, type AutoscaleEvent, type EventListener } from "./audit.js";
export { DockerActuator } from "./actuator.js";
export { DockerServiceReader, toService } from "./docker-services.js";
export { DockerUsageReader } from "./docker-usage.js";
export { ModelMetricReader, ModelServiceReader } from "./model-readers.js";
export { JetStreamQueueReader } from "./queue.js";
export { KvLease } from "./lease.js";
export { KvMemoryStore } from "./memory-store.js";
export { snapshot as memorySnapshot, restore as restoreMemory } from "./memory.js";
export { scaleNotice, NOTICE_ALERTNAME, type ScaleNotice, type NotifyMode } from "./notice.js";
export { autoscaleRoutes } from "./routes.js";
export { registerAutoscaleMetrics } from "./metrics.js";
export { valueAtPath } from "./value-path.js";
export type * from "./ports.js";

export interface AutoscaleDeps {
  /** The validated `autoscale` section of the configuration. */
  section: AutoscaleSection;
  /** The collector's NATS connection (queue metrics and the lease). */
  nc: NatsConnection;
  /** The local engine, a Swarm manager (the actuator writes through it). */
  docker: Docker;
  /** Services and per-task metrics, from the collector's model. */
  services: ServiceReader;
  metrics: MetricReader;
  /** `<dataDir>/collector/autoscale.db` holds the audit trail. */
  dataDir: string;
  /** This collector's name in the lease (hostname and pid, say). */
  holderId: string;
  /**
   * Hands scale events to the alert receivers (the alert capability's `notifyEvent`), as
   * `autoscale.notify` says which; none when alerts are off.
   */
  notify?: (notice: ScaleNotice) => void;
  log: Logger;
  now: () => number;
}

export interface AutoscaleCapability {
  autoscaler: Autoscaler;
  audit: AuditTrail;
  /** `/api/v1/autoscale` and `/api/v1/autoscale/events`. */
  routes: RouteModule;
  /** Adds the `vigie_autoscale_*` metrics to the registry. */
  registerMetrics(registry: Registry): void;
  /** Stops the loop, gives the lease up and closes the trail. */
  stop(): Promise<void>;
}

/** Builds the autoscaler with its real edges and starts it (it acts only while it holds the lease). */
export async function startAutoscaler(deps: AutoscaleDeps): Promise<AutoscaleCapability> {
  const { section, log } = deps;
  const audit = new AuditTrail({ file: path.join(deps.dataDir, "collector", "autoscale.db"), inMemory: section.eventsInMemory, onDisk: section.eventsOnDisk, log });
  const lease = new KvLease(deps.nc, { bucket: section.leaseBucket, holderId: deps.holderId, ttlMs: section.leaseTtl, log, now: deps.now });
  const memory = new KvMemoryStore(deps.nc, { bucket: section.memoryBucket, log, now: deps.now });
  const autoscaler = new Autoscaler({
    services: deps.services,
    metrics: deps.metrics,
    queues: new JetStreamQueueReader(await jetstreamManager(deps.nc)),
    actuator: new DockerActuator(deps.docker),
    lease,
    audit,
    memory,
    intervalMs: section.interval,
    tolerance: section.tolerance,
    stabilizationMs: section.stabilizationWindow,
    dryRun: section.dryRun,
    configured: configuredPolicies(section),
    log,
    now: deps.now,
  });
  const notify = deps.notify;
  const unsubscribe =
    notify && section.notify !== "off"
      ? audit.subscribe((e) => {
          const n = scaleNotice(e, autoscaler.stackOf(e.service), section.notify);
          if (n) notify(n);
        })
      : undefined;
  if (section.enabled) {
    lease.start();
    autoscaler.start();
  }
  return {
    autoscaler,
    audit,
    routes: autoscaleRoutes({ autoscaler, audit }),
    registerMetrics: (registry) => registerAutoscaleMetrics(registry, autoscaler),
    async stop() {
      unsubscribe?.();
      await autoscaler.stop();
      await lease.stop();
      audit.close();
    },
  };
}
