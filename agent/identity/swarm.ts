import type { EngineInfo } from "../containers/index.js";

/**
 * The Swarm node this engine belongs to: its node id (what the global service's `{{.Node.ID}}`
 * says) and the engine's hostname (`{{.Node.Hostname}}`). Undefined outside a swarm; fails
 * when the engine does not answer within `timeoutMs` (default 3 s).
 */
export async function swarmIdentity(engine: { info(): Promise<EngineInfo> }, timeoutMs = 3000): Promise<{ nodeId: string; hostname: string } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`docker info did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const info = await Promise.race([engine.info(), timeout]);
    const nodeId = info.Swarm?.NodeID;
    if (!nodeId || !info.Name || info.Swarm?.LocalNodeState !== "active") return undefined;
    return { nodeId, hostname: info.Name };
  } finally {
    clearTimeout(timer);
  }
}
