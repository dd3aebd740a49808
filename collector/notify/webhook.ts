import { postJson, webhookPayload, type DeliveryOutcome, type Notification, type Receiver } from "./receiver.js";

export interface WebhookOptions {
  name: string;
  url: string;
  /** Default true, as Alertmanager's webhook. */
  sendResolved?: boolean;
  /** At most this many alerts per message (0 = all); the rest are counted in truncatedAlerts. */
  maxAlerts?: number;
}

/** Alertmanager's generic webhook: its version 4 payload, POSTed as JSON. */
export class WebhookReceiver implements Receiver {
  readonly kind = "webhook";
  readonly name: string;
  readonly sendResolved: boolean;
  constructor(private readonly o: WebhookOptions) {
    this.name = o.name;
    this.sendResolved = o.sendResolved ?? true;
  }

  send(n: Notification, signal: AbortSignal): Promise<DeliveryOutcome> {
    return postJson(this.o.url, webhookPayload(n, this.o.maxAlerts ?? 0), signal, true);
  }
}
