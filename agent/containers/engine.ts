import { BrokenCircuitError, circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleWhen, type CircuitBreakerPolicy } from "cockatiel";
import { EngineClient } from "./engine-client.js";
import type { InspectInfo } from "./metadata.js";

/** The parts of `GET /containers/json` Vigie reads. */
export interface ListedContainer {
  Id: string;
  State?: string;
  /** `Up 5 minutes (healthy)`: carries the health between inspects. */
  Status?: string;
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
}

/**
 * Every call to the engine goes through here: a circuit breaker opens on the first sign the
 * engine is gone, so a dead socket costs nothing per cycle, and lets one call through after
 * an exponentially growing wait. The link knows whether the engine is up and says so once
 * per change.
 */
export class EngineLink {
  private state: boolean | undefined;
  private readonly breaker: CircuitBreakerPolicy;

  constructor(private readonly options: EngineLinkOptions) {
    this.breaker = circuitBreaker(
      handleWhen((err) => isEngineDown(err)),
      {
        halfOpenAfter: new ExponentialBackoff({ initialDelay: options.retryInitialMs ?? 500, maxDelay: options.retryMaxMs ?? 30_000 }),
        breaker: new ConsecutiveBreaker(1),
      },
    );
  }

  /** True once the engine answered, false after it failed, undefined before the first call. */
  get up(): boolean | undefined {
    return this.state;
  }

  async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      const result = await this.breaker.execute(fn);
      this.set(true, undefined);
      return result;
    } catch (err) {
      if (err instanceof BrokenCircuitError) this.set(false, undefined);
      else if (isEngineDown(err)) this.set(false, (err as Error).message);
      throw err;
    }
  }

  private set(up: boolean, error: string | undefined): void {
    const previous = this.state;
    if (previous === up) return;
    this.state = up;
    this.options.onChange(up, error, previous);
  }
}
