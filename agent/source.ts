import type { Envelope, Kind, ResourceMetrics } from "../protocol/index.js";

/** The payload the wire carries for one kind of message. */
export type PayloadOf<K extends Kind> = Extract<Envelope, { kind: K }>["payload"];

/**
 * The agent's one way out: every source (host and containers through the sampling loop,
 * container events, status checks, logs) hands its records here and knows nothing of what is
 * behind it (the envelope, the spool, NATS). See `publish/emitter.ts` for the implementation.
 *
 * `emit` resolves once the record is as safe as its kind asks, and rejects when it could not be
 * kept (a full disk, for a kind written ahead): the caller then keeps what it had (a log
 * follower does not move its position past records that were refused).
 *
 * | kind      | durability | why |
 * |-----------|------------|-----|
 * | `events`  | ahead: on disk before `emit` resolves | no later sample repeats an event; a killed agent sends it after its restart |
 * | `logs`    | ahead | the same: a line is said once |
 * | `metrics` | behind: on disk only if JetStream has not acknowledged it within `agent.spoolWriteAfter` (1 s) | counters are cumulative: the next sample repairs a lost one |
 * | `status`  | behind | every check runs again within its interval and carries its state |
 */
export interface Emitter {
  /** One record of `kind`, made at `time` (Unix ms). */
  emit<K extends Kind>(kind: K, payload: PayloadOf<K>, time: number): Promise<void>;
}

/**
 * A source with a life of its own (the sampling loop, the engine's events, the checks, the
 * logs): started with the emitter it hands its records to, stopped with the agent. `stop()`
 * resolves once the source has handed over its last records.
 */
export interface Source {
  readonly name: string;
  start(emitter: Emitter): void;
  stop(): Promise<void>;
}

/**
 * What one sampling of a metric source gives: the resources' metrics, as an array, and what the
 * source says about them along with it.
 */
export interface MetricSample extends Array<ResourceMetrics> {
  /**
   * Set by the containers source: true when these are all the node's running containers (the
   * engine answered), false when some may be missing. Travels into the metrics message as
   * `containersComplete`, where the collector reads it.
   */
  containersComplete?: boolean;
}

/** `resources` as a sample that says whether it holds every running container. */
export function containersSample(resources: ResourceMetrics[], complete: boolean): MetricSample {
  return Object.assign(resources, { containersComplete: complete });
}

/**
 * Something the sampling loop asks every interval (the host, the containers). An expected
 * failure (Docker down) is an empty or incomplete sample, reported through the source's own
 * metrics, not an exception. A sample should end soon after `signal` aborts (the run timed out).
 */
export interface MetricSource {
  readonly name: string;
  sample(signal: AbortSignal): Promise<MetricSample>;
  close?(): Promise<void>;
}
