import { Gauge, Registry } from "prom-client";
import { mirroredCounter, mirroredCounters } from "../lib/promstats.js";
import type { IngestStats } from "./ingest/ingest.js";
import type { ClusterModel } from "./model/index.js";

/** The collector's own health (the pipeline), under `vigie_*`. */
export function createCollectorMetrics(ingest: IngestStats, model: Pick<ClusterModel, "nodes" | "accounting" | "listenerErrors">, now: () => number) {
  const registry = new Registry();
  const r = [registry];
  mirroredCounters(registry, "vigie_ingest_messages_total", "Messages taken from JetStream, by outcome (accepted, duplicate).", "outcome", () => [
    ["accepted", ingest.accepted],
    ["duplicate", ingest.duplicates],
  ]);
  mirroredCounters(registry, "vigie_ingest_dead_letters_total", "Messages refused and moved to the dead-letter subject, by reason.", "reason", () => ingest.deadLetters);
  mirroredCounter(registry, "vigie_ingest_terminated_total", "Messages given up after repeated failed deliveries (neither stored nor dead-lettered).", () => ingest.terminated);
  new Gauge({
    name: "vigie_ingest_lag_seconds",
    help: "Delay from sampling on the node to storing in the collector, of the last message.",
    registers: r,
    collect() {
      this.set(ingest.lastLagSeconds);
    },
  });
  new Gauge({
    name: "vigie_agent_messages_missing",
    help: "Messages an agent numbered that never reached the collector, by node.",
    labelNames: ["node"] as const,
    registers: r,
    collect() {
      this.reset();
      for (const { node: n } of model.nodes(now())) this.set({ node: n.hostname }, model.accounting(n.id).missing);
    },
  });
  new Gauge({
    name: "vigie_node_last_seen_seconds",
    help: "Seconds since the node's agent was last heard from.",
    labelNames: ["node"] as const,
    registers: r,
    collect() {
      this.reset();
      const t = now();
      for (const { node: n } of model.nodes(t)) this.set({ node: n.hostname }, Math.max(0, (t - n.lastSeen) / 1000));
    },
  });
  mirroredCounter(registry, "vigie_model_listener_errors_total", "Calls of a subscriber to the collector's model (alerts, autoscaler, …) that failed; ingest went on.", () => model.listenerErrors);
  return { registry };
}
