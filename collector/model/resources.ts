import { ATTR, type Attributes } from "../../protocol/index.js";

/** What a resource of a metrics message describes: the node's host, or one container on it. */
export type ResourceKind = "host" | "container";

/**
 * The one rule for telling a host from a container: a resource naming a container (by id or,
 * from an agent that could not read the id, by name) is that container; any other is the host.
 * The node state, the latest values, the exposition and the API all ask here.
 */
export function resourceKind(resource: Attributes): ResourceKind {
  return resource[ATTR.containerId] !== undefined || resource[ATTR.containerName] !== undefined ? "container" : "host";
}

/** A container's identity on its node: its id, or its name when the agent sent no id; undefined for the host. */
export function containerKey(resource: Attributes): string | undefined {
  const id = resource[ATTR.containerId] ?? resource[ATTR.containerName];
  return id === undefined ? undefined : String(id);
}
