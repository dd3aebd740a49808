import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { NODE_ID_PATTERN } from "../../protocol/index.js";

export interface NodeIdentity {
  nodeId: string;
  hostname: string;
  /** Where the id came from: `config`, `swarm`, `machine-id`, `hostname`. */
  source: string;
}

export interface IdentityOptions {
  hostRoot: string;
  /** Explicit overrides (VIGIE_NODE_ID / VIGIE_HOSTNAME, or the global service's templates). */
  nodeId?: string;
  hostname?: string;
  /** Asks the local engine for the Swarm node id and hostname; undefined when not in a swarm. */
  swarm?: () => Promise<{ nodeId: string; hostname: string } | undefined>;
}

/**
 * The node's identity, in order of precedence: configuration, the Swarm node the engine belongs
 * to, the host's machine id. The hostname comes from configuration, Swarm, the host's
 * /etc/hostname (under the host root, so a containerized agent reports its host), then os.hostname().
 */
export async function resolveIdentity(options: IdentityOptions): Promise<NodeIdentity> {
  const swarm = options.nodeId && options.hostname ? undefined : await options.swarm?.().catch(() => undefined);
  const hostname = options.hostname ?? swarm?.hostname ?? (await hostFile(options.hostRoot, "etc/hostname")) ?? os.hostname();
  if (options.nodeId) return { nodeId: checkId(options.nodeId), hostname, source: "config" };
  if (swarm?.nodeId) return { nodeId: checkId(swarm.nodeId), hostname, source: "swarm" };
  const machineId = (await hostFile(options.hostRoot, "etc/machine-id")) ?? (await hostFile(options.hostRoot, "var/lib/dbus/machine-id"));
  if (machineId && NODE_ID_PATTERN.test(machineId)) return { nodeId: machineId, hostname, source: "machine-id" };
  const derived = createHash("sha256").update(hostname).digest("hex").slice(0, 32);
  return { nodeId: derived, hostname, source: "hostname" };
}

function checkId(id: string): string {
  if (!NODE_ID_PATTERN.test(id)) throw new Error(`node id ${JSON.stringify(id)} is not usable: it must be 1-128 of [A-Za-z0-9_-]`);
  return id;
}

async function hostFile(root: string, file: string): Promise<string | undefined> {
  try {
    const text = (await readFile(path.join(root, file), "utf8")).trim();
    return text || undefined;
  } catch {
    return undefined;
  }
}
