import { Gauge, type Registry } from "prom-client";
import { mirroredCounter } from "../../lib/promstats.js";
import type { MetricsHistory } from "./store.js";

/** The history's own health under `vigie_history_*`. */
export function registerHistoryMetrics(registry: Registry, history: MetricsHistory): void {
  new Gauge({ name: "vigie_history_series", help: "Series held in memory at sample resolution.", registers: [registry], collect() { this.set(history.stats.series); } });
  // Walking every series per scrape would cost more than the scrape: the figure of the last maintenance pass.
  new Gauge({ name: "vigie_history_sample_bytes", help: "Bytes held by in-memory samples (as of the last maintenance pass, every 15 s).", registers: [registry], collect() { this.set(history.stats.sampleBytes); } });
  mirroredCounter(registry, "vigie_history_series_dropped_total", "Samples of new series refused because the history holds its maximum of series.", () => history.stats.droppedSeries);
  mirroredCounter(registry, "vigie_history_rollups_written_total", "1-minute rollups written to disk.", () => history.stats.rollupsWritten);
}
