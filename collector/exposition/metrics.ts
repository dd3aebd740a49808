import { Gauge, type Registry } from "prom-client";

/** What the last exposition cost, under `vigie_exposition_*`. */
export interface ExpositionStats {
  lastRenderSeconds: number;
  lastBytes: number;
}

export function registerExpositionMetrics(registry: Registry, stats: ExpositionStats): void {
  new Gauge({ name: "vigie_exposition_render_seconds", help: "Time the previous /metrics took to render the node_exporter and cAdvisor families.", registers: [registry], collect() { this.set(stats.lastRenderSeconds); } });
  new Gauge({ name: "vigie_exposition_bytes", help: "Size of the node_exporter and cAdvisor families in the previous /metrics.", registers: [registry], collect() { this.set(stats.lastBytes); } });
}
