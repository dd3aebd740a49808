import type { Attributes } from "../../protocol/index.js";
import type { DockerEngine } from "../containers/engine.js";
import { containerResource, imageName, type InspectInfo } from "../containers/metadata.js";
import type { ContainerLister, LogContainer, LogStreamOpener } from "./ports.js";

export interface EngineLogPortsOptions {
  /** The agent's one Docker engine port: the log source asks through its circuit breaker like every other part. */
  engine: DockerEngine;
  /** The node's resource (`host.name`, `node.id`): every container's resource starts from it. */
  resource: Attributes;
  /** How long a Swarm service's labels are remembered, ms. Default 60 s. */
  serviceCacheMs?: number;
  now?: () => number;
}

const ID = /^[0-9a-f]{64}$/;

/**
 * The log collection's ports on the agent's engine port: the running containers, inspected once
 * each for their log driver, LogPath and TTY (an inspect per container the first time it is
 * seen), with their Swarm service's `vigie.*` labels under their own (only managers can read
 * services; elsewhere put the label on the containers); and the log stream.
 */
export function engineLogPorts(options: EngineLogPortsOptions): { lister: ContainerLister; openStream: LogStreamOpener } {
  const { engine } = options;
  const now = options.now ?? Date.now;
  const inspected = new Map<string, Omit<LogContainer, "labels">>();
  const services = new Map<string, { at: number; labels: Record<string, string> }>();

  const serviceLabels = async (id: string): Promise<Record<string, string>> => {
    const cached = services.get(id);
    if (cached && now() - cached.at < (options.serviceCacheMs ?? 60_000)) return cached.labels;
    let labels: Record<string, string> = {};
    try {
      const spec = (await engine.service(id))?.Spec;
      labels = Object.fromEntries(Object.entries(spec?.Labels ?? {}).filter(([k]) => k.startsWith("vigie.")));
    } catch {
      // The engine did not answer: the container's own labels are all there is until the next listing.
    }
    services.set(id, { at: now(), labels });
    return labels;
  };

  const lister: ContainerLister = async () => {
    const list = await engine.listContainers();
    const out: LogContainer[] = [];
    const seen = new Set<string>();
    for (const c of list) {
      if (!ID.test(c.Id)) continue;
      seen.add(c.Id);
      let known = inspected.get(c.Id);
      if (!known) {
        let info: InspectInfo;
        try {
          info = await engine.inspect(c.Id);
        } catch {
          continue; // gone between the list and the inspect, or the engine went away: the next listing tries again
        }
        const name = (typeof info.Name === "string" && info.Name !== "" ? info.Name : c.Id.slice(0, 12)).replace(/^\//, "");
        const labels = info.Config?.Labels ?? {};
        known = {
          id: c.Id,
          name,
          logDriver: info.HostConfig?.LogConfig?.Type ?? "",
          logPath: typeof info.LogPath === "string" ? info.LogPath : "",
          tty: info.Config?.Tty === true,
          resource: containerResource({ id: c.Id, name, image: imageName(info.Config?.Image ?? ""), labels }, options.resource),
        };
        inspected.set(c.Id, known);
      }
      const own = c.Labels ?? {};
      const serviceId = own["com.docker.swarm.service.id"];
      out.push({ ...known, labels: serviceId ? { ...(await serviceLabels(serviceId)), ...own } : own });
    }
    for (const id of inspected.keys()) if (!seen.has(id)) inspected.delete(id);
    return out;
  };

  const openStream: LogStreamOpener = (id, since, signal) => engine.logs(id, since, signal);

  return { lister, openStream };
}
