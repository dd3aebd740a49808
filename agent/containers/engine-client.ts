import { request, type IncomingMessage } from "node:http";

/** An answer of the engine that is not a success; `statusCode` tells a 404 from a daemon failure. */
export class EngineError extends Error {
  override readonly name = "EngineError";
  constructor(
    message: string,
    readonly statusCode?: number,
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface EngineClientOptions {
  /** Default `/var/run/docker.sock`. */
  socketPath?: string;
  /** Per-request timeout, ms (not for streams). Default 5 s. */
  timeoutMs?: number;
}

/**
 * The Docker Engine API over its Unix socket with node:http: the four calls the agent makes do
 * not justify dockerode's ~27 MB of resident memory (it loads gRPC and SSH for BuildKit and
 * remote engines). Paths are unversioned: the engine answers in its own API version.
 */
export class EngineClient {
  private readonly socketPath: string;
  private readonly timeoutMs: number;

  constructor(options: EngineClientOptions = {}) {
    this.socketPath = options.socketPath ?? "/var/run/docker.sock";
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /** GET a JSON document. */
  async get<T>(path: string): Promise<T> {
    const res = await this.open(path, this.timeoutMs);
    const body = await readAll(res, this.timeoutMs);
    try {
      return JSON.parse(body) as T;
    } catch {
      throw new EngineError(`engine answered ${path} with something that is not JSON`, res.statusCode);
    }
  }

  /** GET a long-lived stream (events); ends when the engine goes away or `signal` aborts. */
  async stream(path: string, signal: AbortSignal): Promise<IncomingMessage> {
    return this.open(path, 0, signal);
  }

  private open(path: string, timeoutMs: number, signal?: AbortSignal): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = request({ socketPath: this.socketPath, path, method: "GET", headers: { host: "docker", accept: "application/json" }, signal }, (res) => {
        const status = res.statusCode ?? 0;
        if (status >= 200 && status < 300) {
          req.setTimeout(0);
          resolve(res);
          return;
        }
        readAll(res, timeoutMs || 5000).then(
          (text) => reject(new EngineError(`engine answered ${status} to GET ${path}: ${messageOf(text)}`, status)),
          (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))),
        );
      });
      if (timeoutMs > 0) req.setTimeout(timeoutMs, () => req.destroy(new EngineError(`engine did not answer GET ${path} within ${timeoutMs} ms`, undefined, "ETIMEDOUT")));
      req.once("error", (err: NodeJS.ErrnoException) => reject(err instanceof EngineError ? err : new EngineError(`${err.message} (${this.socketPath})`, undefined, err.code)));
      req.end();
    });
  }
}

function readAll(res: IncomingMessage, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => res.destroy(new EngineError(`engine body not complete within ${timeoutMs} ms`, undefined, "ETIMEDOUT")), timeoutMs);
    res.on("data", (c: Buffer) => chunks.push(c));
    res.once("end", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
    res.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

function messageOf(text: string): string {
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}
