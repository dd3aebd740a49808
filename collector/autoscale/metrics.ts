import { Counter, Gauge, type Registry } from "prom-client";
import type { Autoscaler } from "./autoscaler.js";

/**
 * The autoscaler in `/metrics`:
 * - `vigie_autoscale_desired_replicas{service}`: what the last decision wanted;
 * - `vigie_autoscale_events_total{service,direction,reason}`: decisions, every evaluation counted
 *   (scaled, dry_run, failed, or held: tolerance, cooldown, bounds, stabilization,
 *   missing_metrics, update_in_progress, steady, invalid_policy);
 * - `vigie_autoscale_policy_valid{service}`: 0 while a service's labels do not parse;
 * - `vigie_autoscale_leader`: 1 on the collector that acts.
 * Labels are service names of opted-in services: bounded by the cluster.
 */
export function registerAutoscaleMetrics(registry: Registry, autoscaler: Pick<Autoscaler, "status" | "onDecision">): void {
  const events = new Counter({
    name: "vigie_autoscale_events_total",
    help: "Autoscaler decisions per service, direction and reason (held decisions included).",
    labelNames: ["service", "direction", "reason"] as const,
    registers: [registry],
  });
  autoscaler.onDecision((d) => events.inc({ service: d.service, direction: d.direction, reason: d.reason }));
  new Gauge({
    name: "vigie_autoscale_desired_replicas",
    help: "Replicas the autoscaler's last decision wanted for the service.",
    labelNames: ["service"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of autoscaler.status().services) if (s.desired !== undefined) this.set({ service: s.service }, s.desired);
    },
  });
  new Gauge({
    name: "vigie_autoscale_policy_valid",
    help: "1 when the service's autoscaling policy parses, 0 when it is invalid (the service is left alone).",
    labelNames: ["service"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const s of autoscaler.status().services) this.set({ service: s.service }, s.error === undefined ? 1 : 0);
    },
  });
  new Gauge({
    name: "vigie_autoscale_leader",
    help: "1 when this collector holds the autoscaler's lease and acts.",
    registers: [registry],
    collect() {
      this.set(autoscaler.status().leader ? 1 : 0);
    },
  });
}
