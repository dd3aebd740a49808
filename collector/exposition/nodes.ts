import { EXPOSITION_FAMILIES } from "../../protocol/index.js";
import type { NodeStatus } from "../history/absence.js";
import { escapeLabelValue } from "./render.js";

const STATES: NodeStatus[] = ["up", "stale", "down"];

/** `vigie_node_status{node,node_id,status}`: 1 for the node's current status, 0 for the others (a state set). */
export function renderNodeStatus(nodes: readonly { id: string; hostname: string; status: NodeStatus }[]): string {
  if (nodes.length === 0) return "";
  const f = EXPOSITION_FAMILIES.nodeStatus;
  let out = `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`;
  for (const n of nodes) {
    const base = `node="${escapeLabelValue(n.hostname)}",node_id="${escapeLabelValue(n.id)}"`;
    for (const s of STATES) out += `${f.name}{${base},status="${s}"} ${n.status === s ? 1 : 0}\n`;
  }
  return out;
}
