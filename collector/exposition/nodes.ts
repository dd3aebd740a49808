import type { NodeStatus } from "../history/absence.js";
import { escapeLabelValue } from "./render.js";

const STATES: NodeStatus[] = ["up", "stale", "down"];

/** `vigie_node_status{node,node_id,status}`: 1 for the node's current status, 0 for the others (a state set). */
export function renderNodeStatus(nodes: readonly { id: string; hostname: string; status: NodeStatus }[]): string {
  if (nodes.length === 0) return "";
  let out = "# HELP vigie_node_status Whether the node's agent reports (up), missed 3 intervals (stale) or is silent past the down delay (down).\n# TYPE vigie_node_status gauge\n";
  for (const n of nodes) {
    const base = `node="${escapeLabelValue(n.hostname)}",node_id="${escapeLabelValue(n.id)}"`;
    for (const s of STATES) out += `vigie_node_status{${base},status="${s}"} ${n.status === s ? 1 : 0}\n`;
  }
  return out;
}
