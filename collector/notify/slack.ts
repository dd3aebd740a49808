import { postJson, type DeliveryOutcome, type Notification, type Receiver } from "./receiver.js";

export interface SlackOptions {
  name: string;
  /** The incoming webhook URL: a secret (from `urlFile`), never logged. */
  url: string;
  channel?: string;
  /** Default false, as Alertmanager's Slack receiver. */
  sendResolved?: boolean;
}

const COLOR = { firing: "#d63232", resolved: "#2eb67d" } as const;

/** Slack incoming webhook: one message per notification, an attachment per alert (at most 20). */
export class SlackReceiver implements Receiver {
  readonly kind = "slack";
  readonly name: string;
  readonly sendResolved: boolean;
  constructor(private readonly o: SlackOptions) {
    this.name = o.name;
    this.sendResolved = o.sendResolved ?? false;
  }

  send(n: Notification, signal: AbortSignal): Promise<DeliveryOutcome> {
    return postJson(this.o.url, slackMessage(n, this.o.channel), signal, true);
  }
}

export function slackMessage(n: Notification, channel?: string): Record<string, unknown> {
  const firing = n.alerts.filter((a) => a.status === "firing").length;
  const title = `[${n.status.toUpperCase()}${n.status === "firing" ? `:${firing}` : ""}] ${Object.values(n.groupLabels).join(" ") || "alerts"}`;
  return {
    ...(channel ? { channel } : {}),
    text: title,
    attachments: n.alerts.slice(0, 20).map((a) => ({
      color: COLOR[a.status],
      title: `${a.status === "resolved" ? "Resolved: " : ""}${a.annotations.summary ?? a.labels.alertname ?? a.rule}`,
      text: [a.annotations.description, a.annotations.data_missing, a.annotations.resolved_reason].filter(Boolean).join("\n"),
      fields: Object.entries(a.labels).map(([k, v]) => ({ title: k, value: v, short: true })),
      ts: Math.floor(a.startsAt / 1000),
    })),
  };
}
