import type { Labels } from "../alerts/matchers.js";
import type { Alert } from "../alerts/state.js";

/** One notification for one receiver: a group's alerts at a flush. */
export interface Notification {
  receiver: string;
  groupKey: string;
  groupLabels: Labels;
  status: "firing" | "resolved";
  alerts: readonly Alert[];
  /** The collector's URL, for links back. */
  externalUrl: string;
}

/** Expected outcomes are values: a receiver never throws for a failed delivery. */
export type DeliveryOutcome = { ok: true } | { ok: false; retryable: boolean; error: string };

/**
 * A place notifications go: one file per kind (webhook, Slack, e-mail, Alertmanager) behind this
 * interface. A receiver's errors never carry its secrets.
 */
export interface Receiver {
  readonly name: string;
  readonly kind: string;
  readonly sendResolved: boolean;
  send(n: Notification, signal: AbortSignal): Promise<DeliveryOutcome>;
}

/** Alertmanager's webhook payload, version 4. */
export interface WebhookPayload {
  version: "4";
  groupKey: string;
  truncatedAlerts: number;
  status: "firing" | "resolved";
  receiver: string;
  groupLabels: Labels;
  commonLabels: Labels;
  commonAnnotations: Labels;
  externalURL: string;
  alerts: {
    status: "firing" | "resolved";
    labels: Labels;
    annotations: Labels;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
    fingerprint: string;
  }[];
}

/** Go's zero time, which Alertmanager writes as the endsAt of a firing alert. */
const ZERO_TIME = "0001-01-01T00:00:00Z";

export function webhookPayload(n: Notification, maxAlerts = 0): WebhookPayload {
  const kept = maxAlerts > 0 ? n.alerts.slice(0, maxAlerts) : n.alerts;
  return {
    version: "4",
    groupKey: n.groupKey,
    truncatedAlerts: n.alerts.length - kept.length,
    status: n.status,
    receiver: n.receiver,
    groupLabels: n.groupLabels,
    commonLabels: common(n.alerts.map((a) => a.labels)),
    commonAnnotations: common(n.alerts.map((a) => a.annotations)),
    externalURL: n.externalUrl,
    alerts: kept.map((a) => ({
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: new Date(a.startsAt).toISOString(),
      endsAt: a.endsAt !== undefined ? new Date(a.endsAt).toISOString() : ZERO_TIME,
      generatorURL: `${n.externalUrl}/api/v1/alerts?alertname=${encodeURIComponent(a.rule)}`,
      fingerprint: a.fingerprint,
    })),
  };
}

/** Labels shared, with the same value, by every set. */
export function common(sets: readonly Labels[]): Labels {
  if (sets.length === 0) return {};
  const out: Record<string, string> = { ...sets[0] };
  for (const s of sets.slice(1)) for (const k of Object.keys(out)) if (s[k] !== out[k]) delete out[k];
  return out;
}

/** HTTP status → outcome: 5xx and 429 are worth retrying, other 4xx are not. */
export function httpOutcome(status: number, body: string): DeliveryOutcome {
  if (status >= 200 && status < 300) return { ok: true };
  return { ok: false, retryable: status >= 500 || status === 429, error: `HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ""}` };
}

/** POSTs JSON; network failures are retryable outcomes. `redact` hides the URL (a Slack URL is a secret). */
export async function postJson(url: string, body: unknown, signal: AbortSignal, redact = false, headers: Record<string, string> = {}): Promise<DeliveryOutcome> {
  try {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body), signal, redirect: "error" });
    const text = await res.text().catch(() => "");
    return httpOutcome(res.status, text);
  } catch (err) {
    const msg = (err as Error).message;
    return { ok: false, retryable: true, error: redact ? msg.split(url).join("<redacted>") : msg };
  }
}
