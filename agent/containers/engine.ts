import type { Readable } from "node:stream";
import { Backoff } from "../../lib/index.js";
import { EngineClient, EngineError } from "./engine-client.js";
import type { InspectInfo } from "./metadata.js";

/** The parts of `GET /containers/json` Vigie reads. */
export interface ListedContainer {
  Id: string;
  State?: string;
  /** `Up 5 minutes (healthy)`: carries the health between inspects. */
  Status?: string;
  /** `/name`: check discovery names its checks after it. */
  Names?: string[];
  Labels?: Record<string, string> | null;
  HostConfig?: { NetworkMode?: string };
}

/** The parts of `GET /services/{id}` Vigie reads. */
export interface ServiceInfo {
  Spec?: { Labels?: Record<string, string> | null };
}

/** The engine's `/info`, the parts Vigie reads. */
export interface EngineInfo {
  Name?: string;
  Swarm?: { NodeID?: string; LocalNodeState?: string };
}

/**
 * The Docker Engine API as the containers source uses it: a port, so the source's logic can be
 * driven by a fake in unit tests and by the engine's HTTP API on the real one.
 */
export interface DockerApi {
  listContainers(): Promise<ListedContainer[]>;
  inspect(id: string): Promise<InspectInfo>;
  /**
   * The `/events` stream of container events (NDJSON); ends when the engine goes away. With
   * `since` (`<seconds>.<nanoseconds>`), the engine first replays the events it still holds from
   * that time on, so a reconnect loses none.
   */
  events(signal: AbortSignal, since?: string): Promise<NodeJS.ReadableStream>;
  info(): Promise<EngineInfo>;
  /**
   * A Swarm service, or undefined when the engine answered that it has none to give (not a manager,
   * no such service): an answer, not a sign the engine is gone. Optional for engines that have no Swarm.
   */
  service?(id: string): Promise<ServiceInfo | undefined>;
  /**
   * A container's log stream (`follow`, both streams, with the engine's timestamps), from `since`
   * (`<seconds>.<nanoseconds>`, inclusive) on: multiplexed unless the container has a TTY; ends
   * when the container stops or the engine goes away. Optional for engines that serve no logs.
   */
  logs?(id: string, since: string | undefined, signal: AbortSignal): Promise<Readable>;
}

export interface DockerApiOptions {
  /** Default `/var/run/docker.sock`. */
  socketPath?: string;
  /** Per-request timeout for everything but the events stream. Default 5 s. */
  timeoutMs?: number;
}

/** The real engine, on its Unix socket. */
export function dockerApi(options: DockerApiOptions = {}): DockerApi {
  const engine = new EngineClient(options);
  const eventFilter = encodeURIComponent(JSON.stringify({ type: ["container"] }));
  return {
    listContainers: () => engine.get<ListedContainer[]>("/containers/json"),
    inspect: (id) => engine.get<InspectInfo>(`/containers/${encodeURIComponent(id)}/json`),
    events: (signal, since) => engine.stream(`/events?filters=${eventFilter}${since ? `&since=${since}` : ""}`, signal),
    info: () => engine.get<EngineInfo>("/info"),
    service: async (id) => {
      try {
        return await engine.get<ServiceInfo>(`/services/${encodeURIComponent(id)}`);
      } catch (err) {
        // A worker answers 503 ("not a swarm manager"): the engine is there, the service is not ours to read.
        if (err instanceof EngineError && err.statusCode !== undefined) return undefined;
        throw err;
      }
    },
    logs: (id, since, signal) =>
      engine.stream(`/containers/${encodeURIComponent(id)}/logs?follow=1&stdout=1&stderr=1&timestamps=1${since ? `&since=${since}` : ""}`, signal),
  };
}

/**
 * An error that says the engine is not there (socket missing, connection refused or reset,
 * timeout, daemon-side 5xx), as opposed to an answer about one container (404, 409).
 */
export function isEngineDown(err: unknown): boolean {
  const e = err as { code?: string; statusCode?: number; message?: string };
  if (typeof e?.statusCode === "number") return e.statusCode >= 500;
  return true;
}

export interface EngineLinkOptions {
  /** Told once per transition (the first answer or failure counts as one). */
  onChange: (up: boolean, error: string | undefined, previous: boolean | undefined) => void;
  /** First wait before the engine is tried again after it failed. Default 500 ms. */
  retryInitialMs?: number;
  /** Longest wait between tries. Default 30 s. */
  retryMaxMs?: number;
  now?: () => number;
}

/** What a call gets, without the engine being asked, while the breaker is open. */
export class EngineUnavailableError extends Error {
  override readonly name = "EngineUnavailableError";
}

/**
 * Every call to the engine goes through here: a circuit breaker opens on the first sign the
 * engine is gone, so a dead socket costs nothing per cycle, and lets one call through after
 * an exponentially growing wait (the next call after the wait; the others fail at once while it
 * is on its way). Any answer of the engine closes it — a 404 about one container included. The
 * link knows whether the engine is up and says so once per change.
 */
export class EngineLink {
  private state: boolean | undefined;
  private open = false;
  private openUntil = 0;
  private probing = false;
  private readonly now: () => number;
  /** Exact waits: one local process asks, there is no crowd to spread out. */
  private readonly retry: Backoff;

  constructor(private readonly options: EngineLinkOptions) {
    this.now = options.now ?? Date.now;
    this.retry = new Backoff({ initialMs: options.retryInitialMs ?? 500, maxMs: options.retryMaxMs ?? 30_000, jitter: 0 });
  }

  /** True once the engine answered, false after it failed, undefined before the first call. */
  get up(): boolean | undefined {
    return this.state;
  }

  async call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.open) {
      if (this.probing || this.now() < this.openUntil) {
        this.set(false, undefined);
        throw new EngineUnavailableError("the Docker engine did not answer; waiting before asking again");
      }
      this.probing = true;
    }
    try {
      const result = await fn();
      this.close();
      this.set(true, undefined);
      return result;
    } catch (err) {
      if (isEngineDown(err)) {
        this.trip();
        this.set(false, (err as Error).message);
      } else {
        this.close(); // the engine answered, about something else: it is there
        this.set(true, undefined);
      }
      throw err;
    } finally {
      this.probing = false;
    }
  }

  private trip(): void {
    this.open = true;
    this.openUntil = this.now() + this.retry.next();
  }

  private close(): void {
    this.open = false;
    this.retry.reset();
  }

  private set(up: boolean, error: string | undefined): void {
    const previous = this.state;
    if (previous === up) return;
    this.state = up;
    this.options.onChange(up, error, previous);
  }
}

export interface DockerEngineOptions {
  /** First wait before the engine is tried again after it failed. Default 500 ms. */
  retryInitialMs?: number;
  /** Longest wait between tries. Default 30 s. */
  retryMaxMs?: number;
  now?: () => number;
}

/** Told once per change: up, the error that said it is down, and what it was before (undefined at the first answer). */
export type EngineListener = (up: boolean, error: string | undefined, previous: boolean | undefined) => void;

/**
 * The agent's one Docker engine port: every part that asks the engine (containers, their events,
 * check discovery, the Swarm identity, logs) asks through here, so they share one circuit breaker
 * (a dead socket costs nothing to any of them, and its state is told once) and one list of
 * containers when two ask for it at the same moment.
 */
export class DockerEngine {
  private readonly link: EngineLink;
  private readonly listeners = new Set<EngineListener>();
  private listing: Promise<ListedContainer[]> | undefined;

  constructor(
    private readonly api: DockerApi,
    options: DockerEngineOptions = {},
  ) {
    this.link = new EngineLink({
      ...options,
      onChange: (up, error, previous) => {
        for (const listener of this.listeners) listener(up, error, previous);
      },
    });
  }

  /** True when the engine answers, false when it does not, undefined before the first call. */
  get up(): boolean | undefined {
    return this.link.up;
  }

  /** Subscribes to the engine's up/down changes; returns the unsubscribe. */
  onChange(listener: EngineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The running containers; callers asking while a list is on its way share it. */
  listContainers(): Promise<ListedContainer[]> {
    this.listing ??= this.link.call(() => this.api.listContainers()).finally(() => {
      this.listing = undefined;
    });
    return this.listing;
  }

  inspect(id: string): Promise<InspectInfo> {
    return this.link.call(() => this.api.inspect(id));
  }

  events(signal: AbortSignal, since?: string): Promise<NodeJS.ReadableStream> {
    return this.link.call(() => this.api.events(signal, since));
  }

  info(): Promise<EngineInfo> {
    return this.link.call(() => this.api.info());
  }

  /** A Swarm service's spec, or undefined (no Swarm, not a manager, no such service). */
  async service(id: string): Promise<ServiceInfo | undefined> {
    const service = this.api.service?.bind(this.api);
    if (!service) return undefined;
    return this.link.call(() => service(id));
  }

  /** A container's log stream from `since` on (see `DockerApi.logs`); only its opening goes through the breaker. */
  logs(id: string, since: string | undefined, signal: AbortSignal): Promise<Readable> {
    const logs = this.api.logs?.bind(this.api);
    if (!logs) return Promise.reject(new Error("this engine port serves no log streams"));
    return this.link.call(() => logs(id, since, signal));
  }
}
