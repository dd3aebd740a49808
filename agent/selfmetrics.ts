import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { mirroredCounter } from "../lib/index.js";
import type { PublisherStats } from "./publish/publisher.js";
import type { SpoolStats } from "./publish/spool.js";

/** The agent's own health, served on its /metrics. */
export function createAgentMetrics(publisher: PublisherStats, spool: SpoolStats, natsConnected: () => boolean, dockerUp?: () => boolean | undefined) {
  const registry = new Registry();
  const r = [registry];
  mirroredCounter(registry, "vigie_agent_published_messages_total", "Messages acknowledged by JetStream.", () => publisher.published + publisher.duplicates);
  mirroredCounter(registry, "vigie_agent_replayed_messages_total", "Acknowledged messages sent again after a NATS reconnect (deduplicated by message id).", () => publisher.replayed);
  mirroredCounter(registry, "vigie_agent_recovered_messages_total", "Acknowledged messages the NATS server had lost, restored by the replay after a reconnect.", () => publisher.recovered);
  mirroredCounter(registry, "vigie_agent_publish_errors_total", "Failed publish attempts (the message stays spooled).", () => publisher.errors);
  mirroredCounter(registry, "vigie_agent_spool_dropped_messages_total", "Messages dropped, oldest first, past the spool bound.", () => spool.droppedMessages);
  mirroredCounter(registry, "vigie_agent_spool_dropped_bytes_total", "Bytes dropped past the spool bound.", () => spool.droppedBytes);
  mirroredCounter(registry, "vigie_agent_spool_written_messages_total", "Messages written to the disk spool because JetStream had not acknowledged them within a second (or at shutdown).", () => spool.writtenMessages);
  mirroredCounter(registry, "vigie_agent_spool_write_errors_total", "Failed writes to the disk spool (the message stays in memory and is tried again).", () => spool.writeErrors);
  new Gauge({ name: "vigie_agent_spool_messages", help: "Messages waiting in the spool.", registers: r, collect() { this.set(spool.messages); } });
  new Gauge({ name: "vigie_agent_spool_bytes", help: "Bytes waiting in the spool.", registers: r, collect() { this.set(spool.bytes); } });
  new Gauge({ name: "vigie_agent_nats_connected", help: "1 when connected to NATS.", registers: r, collect() { this.set(natsConnected() ? 1 : 0); } });
  // No sample before the engine was first tried (or with containers switched off).
  new Gauge({
    name: "vigie_agent_docker_up",
    help: "1 when the Docker engine answers, 0 when it does not.",
    registers: r,
    collect() {
      const up = dockerUp?.();
      if (up === undefined) this.reset();
      else this.set(up ? 1 : 0);
    },
  });
  return {
    registry,
    cycles: new Counter({ name: "vigie_agent_cycles_total", help: "Sampling cycles run.", registers: r }),
    sourceErrors: new Counter({ name: "vigie_agent_source_errors_total", help: "Source failures during sampling, by source.", labelNames: ["source"] as const, registers: r }),
    cycleDuration: new Histogram({
      name: "vigie_agent_cycle_duration_seconds",
      help: "Wall time of one sampling cycle.",
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: r,
    }),
    samples: new Counter({ name: "vigie_agent_samples_total", help: "Data points sampled, by source.", labelNames: ["source"] as const, registers: r }),
  };
}
export type AgentMetrics = ReturnType<typeof createAgentMetrics>;
