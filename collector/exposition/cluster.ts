import type { Registry } from "prom-client";
import type { ClusterModel } from "../model/index.js";
import { registerExpositionMetrics, type ExpositionStats } from "./metrics.js";
import { renderNodeStatus } from "./nodes.js";
import { ExpositionRenderer } from "./render.js";

/**
 * The ecosystem-named part of `/metrics`: node_exporter and cAdvisor families of the nodes that
 * are up (a silent node's last values must not look current) and every node's status. Records
 * what each render cost under `vigie_exposition_*`.
 */
export function clusterExposition(model: Pick<ClusterModel, "nodes" | "latest">, registry: Registry, now: () => number): () => string {
  const renderer = new ExpositionRenderer();
  const stats: ExpositionStats = { lastRenderSeconds: 0, lastBytes: 0 };
  registerExpositionMetrics(registry, stats);
  return () => {
    const started = performance.now();
    const nodes = model.nodes(now());
    const up = nodes.flatMap((n) => (n.status === "up" ? [model.latest.get(n.node.id)] : [])).filter((m) => m !== undefined);
    const text = renderer.render(up) + renderNodeStatus(nodes.map((n) => ({ id: n.node.id, hostname: n.node.hostname, status: n.status })));
    stats.lastRenderSeconds = (performance.now() - started) / 1000;
    stats.lastBytes = text.length;
    stats.mergedSeries = renderer.lastMerged;
    return text;
  };
}
