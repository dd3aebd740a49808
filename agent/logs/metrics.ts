import { Counter, type Registry } from "prom-client";

/**
 * Log lines dropped by the per-container rate limit in the agent's `/metrics`, by service
 * (`stack_service`; `_none` outside any service, `_other` past the source's bound of names):
 * labels stay bounded while the noisy one is still named.
 */
export function registerLogDropMetrics(registry: Registry, logs: { droppedByService(): Map<string, number> }): void {
  new Counter({
    name: "vigie_agent_log_lines_dropped_total",
    help: "Log lines dropped by the per-container rate limit, by service.",
    labelNames: ["service"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [service, n] of logs.droppedByService()) this.inc({ service }, n);
    },
  });
}
