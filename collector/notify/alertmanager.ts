import { postJson, type DeliveryOutcome, type Notification, type Receiver } from "./receiver.js";

export interface AlertmanagerOptions {
  name: string;
  /** Alertmanager's base URL (`http://alertmanager:9093`). */
  url: string;
}

/**
 * Hands alerts to a real Alertmanager through its API v2 (`POST /api/v2/alerts`), which then does
 * its own grouping and routing. Firing alerts carry no endsAt (Alertmanager applies its
 * resolve_timeout); resolved ones carry theirs. Alertmanager wants firing alerts re-sent
 * periodically: the route's repeat interval should stay below its resolve_timeout (5m default).
 */
export class AlertmanagerReceiver implements Receiver {
  readonly kind = "alertmanager";
  readonly name: string;
  readonly sendResolved = true;
  private readonly endpoint: string;
  constructor(o: AlertmanagerOptions) {
    this.name = o.name;
    this.endpoint = `${o.url.replace(/\/+$/, "")}/api/v2/alerts`;
  }

  send(n: Notification, signal: AbortSignal): Promise<DeliveryOutcome> {
    const body = n.alerts.map((a) => ({
      labels: a.labels,
      annotations: a.annotations,
      startsAt: new Date(a.startsAt).toISOString(),
      ...(a.endsAt !== undefined ? { endsAt: new Date(a.endsAt).toISOString() } : {}),
      generatorURL: `${n.externalUrl}/api/v1/alerts?alertname=${encodeURIComponent(a.rule)}`,
    }));
    return postJson(this.endpoint, body, signal);
  }
}
