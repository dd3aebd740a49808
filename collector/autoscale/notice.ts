import type { AutoscaleEvent } from "./audit.js";
import type { Reason } from "./decide.js";

/**
 * A scale event as the alert receivers get it: an alert named `VigieAutoscale` that goes
 * through the same route tree, silences and inhibitions as every other, so operators route it
 * with the matchers they already write (`alertname="VigieAutoscale"`, `service=~"shop_.*"`).
 */
export interface ScaleNotice {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** When the decision was taken, Unix ms. */
  at: number;
  /** The replicas asked for. */
  value: number;
}

/** `autoscale.notify`: which events are notified. */
export type NotifyMode = "off" | "scaled" | "actions";

export const NOTICE_ALERTNAME = "VigieAutoscale";

const NOTIFIED: Record<NotifyMode, ReadonlySet<Reason>> = {
  off: new Set(),
  scaled: new Set(["scaled"]),
  actions: new Set(["scaled", "failed", "dry_run"]),
};

/**
 * The notice for an event, or undefined when the mode does not notify it (pure):
 *
 *   | reason   | off | scaled | actions | severity |
 *   |----------|-----|--------|---------|----------|
 *   | scaled   |  –  |   ✓    |    ✓    | info     |
 *   | failed   |  –  |   –    |    ✓    | warning  |
 *   | dry_run  |  –  |   –    |    ✓    | info     |
 *   | holds    |  –  |   –    |    –    |          |
 *
 * `from` and `to` are labels so that two scalings in a row are two alerts (the receivers'
 * deduplication would fold one label set repeated); the same attempt failing again and again
 * is one alert, repeated at the route's repeat interval.
 */
export function scaleNotice(e: Pick<AutoscaleEvent, "time" | "service" | "reason" | "direction" | "from" | "to" | "message" | "inputs">, stack: string | undefined, mode: NotifyMode): ScaleNotice | undefined {
  if (!NOTIFIED[mode].has(e.reason)) return undefined;
  // A failed attempt keeps the count it was at as `to` in the trail; the notice names the count it aimed at.
  const wanted = e.inputs.wanted;
  const aimed = e.reason === "failed" && typeof wanted === "number" && Number.isInteger(wanted) ? wanted : e.to;
  const labels: Record<string, string> = {
    alertname: NOTICE_ALERTNAME,
    severity: e.reason === "failed" ? "warning" : "info",
    service: e.service,
    direction: e.direction,
    reason: e.reason,
    from: String(e.from),
    to: String(aimed),
  };
  if (stack) labels.stack = stack;
  const move = `${e.service} ${e.direction} from ${e.from} to ${aimed} replicas`;
  const summary = e.reason === "failed" ? `Vigie could not scale ${move}` : e.reason === "dry_run" ? `Vigie would scale ${move} (dry run)` : `Vigie scaled ${move}`;
  return { labels, annotations: { summary, description: e.message.slice(0, 1024) }, at: e.time, value: aimed };
}
