import { Gauge, type Registry } from "prom-client";

/** What the last exposition cost, under `vigie_exposition_*`. */
export interface ExpositionStats {
  lastRenderSeconds: number;
  lastBytes: number;
  /** Series of the last render left out as duplicates of another of the same name and labels. */
  mergedSeries?: number;
}

export function registerExpositionMetrics(registry: Registry, stats: ExpositionStats): void {
  new Gauge({ name: "vigie_exposition_render_seconds", help: "Time the previous /metrics took to render the node_exporter and cAdvisor families.", registers: [registry], collect() { this.set(stats.lastRenderSeconds); } });
  new Gauge({ name: "vigie_exposition_series_merged", help: "Series of the previous /metrics left out because another resource of the node gave the same name and labels.", registers: [registry], collect() { this.set(stats.mergedSeries ?? 0); } });
  new Gauge({ name: "vigie_exposition_bytes", help: "Size of the node_exporter and cAdvisor families in the previous /metrics.", registers: [registry], collect() { this.set(stats.lastBytes); } });
}
