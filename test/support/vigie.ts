import type { AgentOptions } from "../../agent/index.js";
import type { CollectorOptions } from "../../collector/index.js";
import { testLog } from "./log.js";

/** Collector options for a test: free port, quiet, no Swarm view unless asked; `extra` wins. */
export function collectorTestOptions(natsUrl: string, dataDir: string, extra: Partial<CollectorOptions> = {}): CollectorOptions {
  return {
    natsUrl,
    listen: "127.0.0.1:0",
    dataDir,
    streamMaxAgeMs: 3_600_000,
    streamMaxBytes: -1,
    streamReplicas: 1,
    durable: "vigie-collector",
    swarm: { enabled: false },
    log: testLog,
    ...extra,
  };
}

/** Agent options for a test: free port, quiet, host root `/`, no Docker unless asked; `extra` wins. */
export function agentTestOptions(natsUrl: string, dataDir: string, extra: Partial<AgentOptions> = {}): AgentOptions {
  return {
    natsUrl,
    intervalMs: 500,
    listen: "127.0.0.1:0",
    dataDir,
    hostRoot: "/",
    spoolMaxBytes: 16 * 1024 * 1024,
    dockerSocket: false,
    log: testLog,
    ...extra,
  };
}

/** GET a collector route as JSON, failing loudly on a non-2xx answer. */
export async function getJson<T>(url: string, token?: string): Promise<T> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}
