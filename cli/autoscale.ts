import { renderTable } from "./table.js";
import { apiGet, type QueryContext } from "./query.js";

interface ServiceRow {
  service: string;
  valid: boolean;
  error: string | null;
  policy: { min: number; max: number; metric: { kind: string; path?: string; stream?: string; consumer?: string }; target: number; targetUnit: string } | null;
  replicas: number | null;
  desired: number | null;
  lastDecision: { reason: string; direction: string; from: number; to: number; lastTime: string; count: number; message: string } | null;
}

interface EventRow {
  time: string;
  lastTime: string;
  count: number;
  service: string;
  reason: string;
  direction: string;
  from: number;
  to: number;
  dryRun: boolean;
  message: string;
}

function metricText(p: NonNullable<ServiceRow["policy"]>): string {
  const m = p.metric;
  const what = m.kind === "check" ? `check:${m.path ?? ""}` : m.kind === "nats" ? `nats:${m.stream ?? ""}/${m.consumer ?? ""}` : m.kind;
  const target = p.targetUnit === "ratio" ? `${Math.round(p.target * 1000) / 10}%` : String(p.target);
  return `${what} @ ${target}`;
}

/**
 * `vigie query autoscale`: every opted-in service with its bounds, metric, replicas and last
 * decision, then the latest decisions. `--json` prints both answers as they came.
 */
export async function queryAutoscale(ctx: QueryContext): Promise<void> {
  const status = await apiGet<{ leader: boolean; holder: string | null; dryRun: boolean; services: ServiceRow[] }>(ctx, "/api/v1/autoscale");
  const { events } = await apiGet<{ events: EventRow[] }>(ctx, "/api/v1/autoscale/events?limit=20");
  if (ctx.json) return ctx.out(JSON.stringify({ ...status, events }, null, 2));
  ctx.out(`autoscaler: ${status.leader ? "acting on this collector" : `standing by${status.holder ? ` (${status.holder} acts)` : ""}`}${status.dryRun ? ", dry run" : ""}`);
  ctx.out(
    renderTable(
      ["SERVICE", "REPLICAS", "DESIRED", "BOUNDS", "METRIC", "LAST DECISION"],
      status.services.map((s) => [
        s.service,
        s.replicas,
        s.desired,
        s.policy ? `${s.policy.min}-${s.policy.max}` : "",
        s.policy ? metricText(s.policy) : `invalid: ${(s.error ?? "").slice(0, 100)}`,
        s.lastDecision ? `${s.lastDecision.reason}${s.lastDecision.count > 1 ? ` ×${s.lastDecision.count}` : ""}: ${s.lastDecision.message.slice(0, 80)}` : "",
      ]),
    ),
  );
  if (events.length === 0) return;
  ctx.out("");
  ctx.out(
    renderTable(
      ["TIME", "SERVICE", "DECISION", "REPLICAS", "WHY"],
      events.map((e) => [
        e.count > 1 ? `${e.time} (×${e.count} until ${e.lastTime})` : e.time,
        e.service,
        e.dryRun ? `${e.reason} (dry run)` : e.reason,
        e.from === e.to ? String(e.from) : `${e.from} → ${e.to}`,
        e.message.slice(0, 120),
      ]),
    ),
  );
}
