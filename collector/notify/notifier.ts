import type { Logger } from "../../lib/log.js";
import { Periodic } from "../../lib/periodic.js";
import type { AlertSink } from "../alerts/engine.js";
import type { Alert } from "../alerts/state.js";
import type { AlertStore } from "../alerts/store.js";
import { decide, DispatchCore, type Flush } from "./dispatch.js";
import { inhibited, silencedBy, type ActiveSilence, type InhibitRule } from "./mute.js";
import type { Notification, Receiver } from "./receiver.js";
import { sendWithRetry, type RetryOptions } from "./retry.js";
import type { Route } from "./route.js";

export interface NotifierOptions {
  route: Route;
  receivers: readonly Receiver[];
  inhibitRules: readonly InhibitRule[];
  store: AlertStore;
  /** The silences in force (from the silence service). */
  silences: () => readonly ActiveSilence[];
  externalUrl: string;
  log: Logger;
  now?: () => number;
  /** How often due groups are looked for. Default 1s. */
  tickMs?: number;
  retry?: Omit<RetryOptions, "deadlineMs">;
}

/** Deliveries per receiver and outcome, for /metrics. */
export type DeliveryCounts = Map<string, { sent: number; failed: number; retried: number }>;

/**
 * Alertmanager's notification pipeline around the pure dispatcher: groups flush on their timers,
 * silences and inhibitions mute, the notification log (on disk) dedups, and each receiver is sent
 * to on its own with retries, so a slow or failing one never holds up another.
 */
export class Notifier implements AlertSink {
  private readonly core: DispatchCore;
  private readonly receivers = new Map<string, Receiver>();
  private readonly now: () => number;
  private readonly loop: Periodic;
  private readonly inFlight = new Map<string, Promise<void>>();
  private firing: Alert[] = [];
  private readonly abort = new AbortController();
  readonly counts: DeliveryCounts = new Map();

  constructor(private readonly o: NotifierOptions) {
    this.core = new DispatchCore(o.route);
    for (const r of o.receivers) {
      this.receivers.set(r.name, r);
      this.counts.set(r.name, { sent: 0, failed: 0, retried: 0 });
    }
    this.now = o.now ?? (() => Date.now());
    this.loop = new Periodic({ name: "alert-notify", intervalMs: o.tickMs ?? 1000, reuseSignal: true, onError: (err) => o.log.error({ err: (err as Error).message }, "notification tick failed") }, async () => {
      void this.tick();
    });
  }

  submit(alerts: readonly Alert[], now: number): void {
    this.firing = alerts.filter((a) => a.status === "firing");
    this.core.submit(alerts, now);
  }

  start(): void {
    this.loop.start();
  }

  /** Stops the timer and waits for deliveries in flight (their retries are cut short). */
  async stop(): Promise<void> {
    await this.loop.stop();
    this.abort.abort();
    await Promise.allSettled(this.inFlight.values());
  }

  /** Flushes the groups due now; deliveries run in the background. Returns them (tests await it). */
  tick(now: number = this.now()): Promise<void> {
    const started: Promise<void>[] = [];
    for (const flush of this.core.due(now)) {
      const key = `${flush.group.route.receiver}\u0000${flush.group.key}`;
      // One delivery per group and receiver at a time: the next flush waits its turn (group_interval later).
      if (this.inFlight.has(key)) continue;
      const p = this.deliver(flush, now).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, p);
      started.push(p);
    }
    return Promise.allSettled(started).then(() => undefined);
  }

  private async deliver(flush: Flush, now: number): Promise<void> {
    const g = flush.group;
    const receiver = this.receivers.get(g.route.receiver);
    if (!receiver) {
      this.core.flushed(flush); // the null receiver: alerts show in the API only
      return;
    }
    const silences = this.o.silences();
    const muted = (a: Alert) => silencedBy(a.labels, silences, now) !== undefined || inhibited(a, this.firing, this.o.inhibitRules);
    const last = this.o.store.notifyLog(receiver.name, g.key);
    const d = decide(flush, last, { sendResolved: receiver.sendResolved, repeatIntervalMs: g.route.repeatIntervalMs, muted }, now);
    if (d.action === "skip") {
      this.core.flushed(flush);
      return;
    }
    if (d.action === "record") {
      this.o.store.putNotifyLog(receiver.name, g.key, d.entry);
      this.core.flushed(flush);
      return;
    }
    const n: Notification = {
      receiver: receiver.name,
      groupKey: g.key,
      groupLabels: g.labels,
      status: d.alerts.some((a) => a.status === "firing") ? "firing" : "resolved",
      alerts: d.alerts,
      externalUrl: this.o.externalUrl,
    };
    const delivery = await sendWithRetry(receiver, n, this.abort.signal, { ...this.o.retry, deadlineMs: g.route.groupIntervalMs });
    const counts = this.counts.get(receiver.name) as { sent: number; failed: number; retried: number };
    counts.retried += delivery.attempts - 1;
    const at = this.now();
    if (delivery.outcome.ok) {
      counts.sent++;
      this.o.store.putNotifyLog(receiver.name, g.key, d.entry);
      this.o.store.recordDelivery({ at, receiver: receiver.name, groupKey: g.key, outcome: "sent", attempts: delivery.attempts });
      this.core.flushed(flush);
      this.o.log.info({ receiver: receiver.name, group: g.key, alerts: n.alerts.length, status: n.status, attempts: delivery.attempts }, "notification sent");
    } else {
      counts.failed++;
      this.o.store.recordDelivery({ at, receiver: receiver.name, groupKey: g.key, outcome: "failed", attempts: delivery.attempts, error: delivery.outcome.error });
      // Not logged as sent: the group's next flush tries again.
      this.o.log.warn({ receiver: receiver.name, group: g.key, attempts: delivery.attempts, err: delivery.outcome.error }, "notification failed");
    }
  }
}
