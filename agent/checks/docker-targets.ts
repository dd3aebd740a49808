import type { DockerEngine } from "../containers/engine.js";
import type { CheckTarget } from "./labels.js";
import { LABEL_PREFIX } from "./labels.js";

export interface DockerTargetsOptions {
  /** How long a Swarm service's labels are remembered, ms. Default 60 s. */
  serviceCacheMs?: number;
  now?: () => number;
  /**
   * The check labels the collector published for a service id (`VIGIE_CHECKS`): what a worker,
   * which cannot read services, goes by. The engine's answer, when it gives one, wins over them.
   */
  published?: (serviceId: string) => Record<string, string> | undefined;
}

/**
 * Lists the running containers of the local engine as check targets. A Swarm task's container
 * also takes the `vigie.check.*` labels of its service (the container's own labels win); only
 * managers can read services, so on workers they come from what the collector published
 * (`options.published`). Asks through the agent's engine port: its
 * circuit breaker is the containers source's, and a list asked for by both at once is made once.
 */
export function dockerTargets(engine: DockerEngine, options: DockerTargetsOptions = {}): () => Promise<CheckTarget[]> {
  const now = options.now ?? Date.now;
  const services = new Map<string, { at: number; labels: Record<string, string> }>();

  const serviceLabels = async (id: string): Promise<Record<string, string>> => {
    const cached = services.get(id);
    if (cached && now() - cached.at < (options.serviceCacheMs ?? 60_000)) return cached.labels;
    let labels: Record<string, string> = {};
    try {
      const spec = (await engine.service(id))?.Spec;
      labels = Object.fromEntries(Object.entries(spec?.Labels ?? {}).filter(([k]) => k.startsWith(LABEL_PREFIX)));
    } catch {
      // The engine stopped answering meanwhile: the container's own labels are all there is this time.
    }
    services.set(id, { at: now(), labels });
    return labels;
  };

  return async () => {
    const list = await engine.listContainers();
    const out: CheckTarget[] = [];
    for (const c of list) {
      const own = c.Labels ?? {};
      const serviceId = own["com.docker.swarm.service.id"];
      const labels = serviceId ? { ...options.published?.(serviceId), ...(await serviceLabels(serviceId)), ...own } : own;
      if (!Object.keys(labels).some((k) => k.startsWith(LABEL_PREFIX))) continue;
      out.push({
        id: c.Id,
        name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ""),
        labels,
        service: own["com.docker.swarm.service.name"],
        hostNetwork: c.HostConfig?.NetworkMode === "host",
      });
    }
    return out;
  };
}
