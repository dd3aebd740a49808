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
  private waitMs = 0;
  private probing = false;
  private readonly now: () => number;

  constructor(private readonly options: EngineLinkOptions) {
    this.now = options.now ?? Date.now;
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
    const initial = this.options.retryInitialMs ?? 500;
    this.waitMs = this.open ? Math.min(this.waitMs * 2, this.options.retryMaxMs ?? 30_000) : initial;
    this.open = true;
    this.openUntil = this.now() + this.waitMs;
  }

  private close(): void {
    this.open = false;
    this.waitMs = 0;
  }

  private set(up: boolean, error: string | undefined): void {
    const previous = this.state;
    if (previous === up) return;
    this.state = up;
    this.options.onChange(up, error, previous);
  }
}
