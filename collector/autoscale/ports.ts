import type { ScaleMemory } from "./decide.js";

/**
 * What the autoscaler needs from the rest of the collector and from the world, as small
 * interfaces. The decision core (`hpa.ts`, `decide.ts`) sees none of them; the loop
 * (`autoscaler.ts`) is handed one implementation of each. The collector's model provides the
 * readers; Docker, NATS JetStream and the clock provide the rest (`actuator.ts`,
 * `queue.ts`, `lease.ts`, `memory-store.ts`).
 */

/** Swarm's update states during which Vigie never changes a service (its own update would start a new one). */
export const UPDATE_IN_PROGRESS = new Set(["updating", "paused", "rollback_started", "rollback_paused"]);

/** One task of a service as the autoscaler counts it. */
export interface AutoscaleTask {
  id: string;
  /** Container of the task, when it has one (metrics are read per container). */
  containerId?: string;
  /** Swarm's task state: new, pending, assigned, preparing, starting, running, failed, … */
  state: string;
  /**
   * Whether the task is ready to do its share: running and not reported unhealthy or still
   * starting its health check. A running task that is not ready is what Kubernetes calls an
   * unready pod.
   */
  ready: boolean;
}

/** A Swarm service as the autoscaler reads it. */
export interface AutoscaleService {
  id: string;
  name: string;
  /** The stack (`com.docker.stack.namespace`), for stack-limited API tokens. */
  stack?: string;
  /** Service labels (`vigie.autoscale.*` among them). */
  labels: Record<string, string>;
  /** `Version.Index` of the spec read: an update must name it. */
  version: number;
  mode: "replicated" | "global" | "job";
  /** Replicas in the spec (replicated services only). */
  replicas?: number;
  /** Swarm's `UpdateStatus.State`, or `none`. */
  updateState: string;
  /** Tasks whose desired state is running (tasks on their way out are not counted). */
  tasks: AutoscaleTask[];
  /** Per-task CPU limit and reservation, in cores (`NanoCPUs` / 1e9). */
  cpuLimitCores?: number;
  cpuReservationCores?: number;
  /** Per-task memory limit and reservation, in bytes. */
  memoryLimitBytes?: number;
  memoryReservationBytes?: number;
}

/** Reads the services that might be autoscaled (all of them; the autoscaler filters on the opt-in label). */
export interface ServiceReader {
  services(signal?: AbortSignal): Promise<AutoscaleService[]>;
}

/** One task's value of a metric; `undefined` when the task has none (yet). */
export interface TaskValue {
  taskId: string;
  value: number | undefined;
}

/** Reads per-task usage: CPU in cores, memory in bytes (working set), and numbers from status checks. */
export interface MetricReader {
  cpuCores(service: AutoscaleService, signal?: AbortSignal): Promise<TaskValue[]>;
  memoryBytes(service: AutoscaleService, signal?: AbortSignal): Promise<TaskValue[]>;
  /** The number at `path` in each task's last status-check JSON body. */
  checkValue(service: AutoscaleService, path: string, signal?: AbortSignal): Promise<TaskValue[]>;
}

/** A queue's backlog: the pending messages of a NATS JetStream consumer, undefined when it cannot be read. */
export interface QueueReader {
  pending(stream: string, consumer: string, signal?: AbortSignal): Promise<QueueReading>;
}

export type QueueReading = { ok: true; pending: number } | { ok: false; error: string };

/** The outcome of asking the engine to scale: expected refusals are values, not exceptions. */
export type ActuationResult =
  | { ok: true; from: number; to: number; version: number; attempts: number; dryRun: boolean }
  | { ok: false; reason: "not_opted_in" | "update_in_progress" | "not_replicated" | "not_found" | "conflict" | "error"; message: string; attempts: number };

/** Changes a service's replicas. */
export interface Actuator {
  scale(serviceId: string, replicas: number, options?: { dryRun?: boolean; signal?: AbortSignal }): Promise<ActuationResult>;
}

/** Only one autoscaler acts at a time: the holder of this lease. */
export interface Lease {
  /** Takes or renews the lease; true while this instance holds it. Never throws. */
  hold(): Promise<boolean>;
  /** Whether the lease is held now by this instance (renewed recently enough to act on). */
  held(): boolean;
  /** Gives the lease up (on a clean stop), so another instance takes over at once. */
  release(): Promise<void>;
  /** Who holds it, as last seen. */
  readonly holder: string | undefined;
}

/** What reading a service's memory gave: none stored yet is `memory: undefined`. */
export type MemoryLoad = { ok: true; memory: ScaleMemory | undefined } | { ok: false; error: string };

/**
 * Where the autoscaler keeps what it remembers of each service (last scales, the stabilization
 * window's recommendations), so the next holder of the lease honours them.
 */
export interface MemoryStore {
  /** Never throws: a failed read is a value. */
  load(service: string): Promise<MemoryLoad>;
  /** May throw; the autoscaler logs it and writes again after the next evaluation. */
  save(service: string, memory: ScaleMemory): Promise<void>;
  /** Forgets any cache of what it wrote (the lease was lost: someone else may have written since). */
  reset?(): void;
}

/** Milliseconds since the epoch. */
export type Clock = () => number;
