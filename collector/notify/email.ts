import nodemailer, { type Transporter } from "nodemailer";
import type { DeliveryOutcome, Notification, Receiver } from "./receiver.js";

export interface EmailOptions {
  name: string;
  to: readonly string[];
  from: string;
  /** SMTP server, `host:port`. */
  smarthost: string;
  /**
   * `starttls` (default): upgrade with STARTTLS and refuse to go on without it; `tls`: TLS from the
   * first byte (port 465); `none`: plain text (only for a relay on the same host).
   */
  tls?: "starttls" | "tls" | "none";
  /** Accept a certificate that does not verify (a test or an internal relay). Default false. */
  insecureSkipVerify?: boolean;
  username?: string;
  /** Read from `passwordFile`; never logged. */
  password?: string;
  /** Default false, as Alertmanager's e-mail receiver. */
  sendResolved?: boolean;
  timeoutMs?: number;
}

/** E-mail over SMTP with nodemailer: a subject per group, a plain-text body listing the alerts. */
export class EmailReceiver implements Receiver {
  readonly kind = "email";
  readonly name: string;
  readonly sendResolved: boolean;
  private readonly transport: Transporter;

  constructor(private readonly o: EmailOptions) {
    this.name = o.name;
    this.sendResolved = o.sendResolved ?? false;
    const m = /^(.+):(\d+)$/.exec(o.smarthost);
    const mode = o.tls ?? "starttls";
    this.transport = nodemailer.createTransport({
      host: m ? (m[1] as string).replace(/^\[|\]$/g, "") : o.smarthost,
      port: m ? Number(m[2]) : mode === "tls" ? 465 : 587,
      secure: mode === "tls",
      requireTLS: mode === "starttls",
      ignoreTLS: mode === "none",
      ...(o.username ? { auth: { user: o.username, pass: o.password ?? "" } } : {}),
      tls: { rejectUnauthorized: !o.insecureSkipVerify },
      connectionTimeout: o.timeoutMs ?? 10_000,
      greetingTimeout: o.timeoutMs ?? 10_000,
      socketTimeout: o.timeoutMs ?? 10_000,
    });
  }

  async send(n: Notification, signal: AbortSignal): Promise<DeliveryOutcome> {
    if (signal.aborted) return { ok: false, retryable: true, error: "aborted" };
    try {
      await this.transport.sendMail({ from: this.o.from, to: [...this.o.to], subject: emailSubject(n), text: emailBody(n) });
      return { ok: true };
    } catch (err) {
      const e = err as Error & { responseCode?: number; code?: string };
      const error = redactSecret(`${e.code ? `${e.code}: ` : ""}${e.message}`, this.o.password);
      // 5xx replies (bad recipient, authentication refused) will not get better by retrying.
      return { ok: false, retryable: !(e.responseCode !== undefined && e.responseCode >= 500) && e.code !== "EAUTH", error };
    }
  }

  close(): void {
    this.transport.close();
  }
}

export function emailSubject(n: Notification): string {
  const firing = n.alerts.filter((a) => a.status === "firing").length;
  return `[${n.status.toUpperCase()}${n.status === "firing" ? `:${firing}` : ""}] ${Object.entries(n.groupLabels).map(([k, v]) => `${k}=${v}`).join(" ")}`.slice(0, 250);
}

export function emailBody(n: Notification): string {
  const lines: string[] = [];
  for (const a of n.alerts) {
    lines.push(`${a.status.toUpperCase()}: ${a.annotations.summary ?? a.rule}`);
    if (a.annotations.description) lines.push(`  ${a.annotations.description}`);
    if (a.annotations.data_missing) lines.push(`  ${a.annotations.data_missing}`);
    if (a.annotations.resolved_reason) lines.push(`  ${a.annotations.resolved_reason}`);
    lines.push(`  since ${new Date(a.startsAt).toISOString()}${a.endsAt !== undefined ? `, until ${new Date(a.endsAt).toISOString()}` : ""}`);
    lines.push(`  labels: ${Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(", ")}`);
    lines.push("");
  }
  lines.push(`${n.externalUrl}/api/v1/alerts`);
  return lines.join("\n");
}

function redactSecret(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join("<redacted>") : text;
}
