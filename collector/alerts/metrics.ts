import { Counter, Gauge, type Registry } from "prom-client";
import type { DeliveryCounts } from "../notify/notifier.js";
import type { AlertEngine } from "./engine.js";

/**
 * `vigie_alerts{alertname,state,severity}` (open alerts by state, counted at scrape time) and
 * `vigie_alert_notifications_total{receiver,outcome}` (outcome sent, failed, retried).
 */
export function registerAlertMetrics(registry: Registry, engine: AlertEngine, deliveries?: DeliveryCounts): void {
  new Gauge({
    name: "vigie_alerts",
    help: "Open alerts by rule, state (pending, firing) and severity.",
    labelNames: ["alertname", "state", "severity"] as const,
    registers: [registry],
    collect() {
      this.reset();
      const counts = new Map<string, { alertname: string; state: string; severity: string; n: number }>();
      for (const a of engine.active()) {
        const k = `${a.rule}\u0000${a.state}`;
        const c = counts.get(k) ?? { alertname: a.rule, state: a.state, severity: a.labels.severity ?? "", n: 0 };
        c.n++;
        counts.set(k, c);
      }
      for (const c of counts.values()) this.set({ alertname: c.alertname, state: c.state, severity: c.severity }, c.n);
    },
  });
  if (!deliveries) return;
  new Counter({
    name: "vigie_alert_notifications_total",
    help: "Notifications per receiver: sent, failed (after retries), retried (extra attempts).",
    labelNames: ["receiver", "outcome"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const [receiver, c] of deliveries) {
        this.inc({ receiver, outcome: "sent" }, c.sent);
        this.inc({ receiver, outcome: "failed" }, c.failed);
        this.inc({ receiver, outcome: "retried" }, c.retried);
      }
    },
  });
}
