import { Gauge, type Registry } from "prom-client";
import { CHECK_STATES, EXPOSITION_FAMILIES as F, type ExpositionFamily } from "../../protocol/index.js";
import type { CheckRecord, CheckSource } from "./state.js";

const LABELS = ["check", "service", "node"] as const;
type Key = string;

/**
 * Status checks in `/metrics` under blackbox_exporter's names (`probe_success`,
 * `probe_duration_seconds`, `probe_http_status_code`, `probe_ssl_earliest_cert_expiry`) with
 * labels check, service and node, plus `vigie_check_state` (the state after thresholds, 1 on the
 * current one). Labels stay bounded: the check's name, not its container. Several replicas of one
 * service checked on one node share a series: success is the minimum, duration the maximum,
 * certificate expiry the earliest. Checks whose node stopped reporting them are left out.
 */
export function registerCheckMetrics(registry: Registry, state: CheckSource, now: () => number): void {
  const groups = (): Map<Key, { labels: Record<(typeof LABELS)[number], string>; records: CheckRecord[] }> => {
    const t = now();
    const out = new Map<Key, { labels: Record<(typeof LABELS)[number], string>; records: CheckRecord[] }>();
    for (const rec of state.list()) {
      if (state.isStale(rec, t)) continue;
      const labels = { check: rec.last.check.name, service: String(rec.last.resource["service.name"] ?? ""), node: rec.node.hostname };
      const k = `${labels.check}\u0000${labels.service}\u0000${labels.node}`;
      const g = out.get(k) ?? { labels, records: [] };
      g.records.push(rec);
      out.set(k, g);
    }
    return out;
  };

  const gauge = ({ name, help }: ExpositionFamily, value: (records: CheckRecord[]) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: LABELS,
      registers: [registry],
      collect() {
        this.reset();
        for (const { labels, records } of groups().values()) {
          const v = value(records);
          if (v !== undefined) this.set(labels, v);
        }
      },
    });

  gauge(F.probeSuccess, (rs) => Math.min(...rs.map((r) => (r.last.up ? 1 : 0))));
  gauge(F.probeDuration, (rs) => Math.max(...rs.map((r) => r.last.durationSeconds)));
  gauge(F.probeHttpStatusCode, (rs) =>
    rs.some((r) => r.last.check.type === "http") ? Math.max(...rs.map((r) => r.last.httpStatusCode ?? 0)) : undefined,
  );
  gauge(F.probeSslEarliestCertExpiry, (rs) => {
    const t = rs.flatMap((r) => (r.last.tls?.notAfter ? [Date.parse(r.last.tls.notAfter) / 1000] : [])).filter((x) => Number.isFinite(x));
    return t.length > 0 ? Math.min(...t) : undefined;
  });
  new Gauge({
    name: F.checkState.name,
    help: F.checkState.help,
    labelNames: [...LABELS, "state"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { labels, records } of groups().values()) {
        // The worst state of the group: error, then down, then unknown, then up.
        const order = ["error", "down", "unknown", "up"] as const;
        const current = order.find((s) => records.some((r) => r.last.state === s)) ?? "unknown";
        for (const s of CHECK_STATES) this.set({ ...labels, state: s }, s === current ? 1 : 0);
      }
    },
  });
}
