import { matchRoutes, type Route } from "../notify/route.js";
import type { AlertSink } from "./engine.js";
import { fingerprint, type Labels } from "./matchers.js";
import type { Alert } from "./state.js";

/**
 * Something that happened (a service was scaled), to tell the receivers the alerts go to. It
 * needs an `alertname` label; it is routed, grouped, silenced and inhibited like any alert.
 */
export interface EventNotice {
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  /** When it happened, Unix ms (the alert's startsAt). */
  at: number;
  value?: number;
}

export interface EventNoticesOptions {
  /** The route tree the notifier walks: how long a notice must stay open to be flushed. */
  route: Route;
  /** How often the notifier looks for due groups, ms. Default 1 s. */
  tickMs?: number;
  /** Notices open at once; past it the oldest is resolved early. Default 1000. */
  maxOpen?: number;
}

/** Bounds on what a notice carries (it comes from inside the collector, but is checked like input). */
const LABEL_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_LABELS = 32;
const MAX_VALUE = 1024;
const MAX_ANNOTATION = 4096;

/**
 * Puts event notices into the notifier's pipeline next to the engine's alerts. The pipeline is
 * Alertmanager's, made for states: a notice is a firing alert kept open until every route it
 * matches has flushed its group once (group_wait, then at most a group_interval), and resolved
 * at the next evaluation after that, so it leaves its groups like a resolved alert does
 * (receivers with send_resolved hear that too). A notice with the labels of one still open
 * keeps it open: the notifier's deduplication sends it once, then at the repeat interval.
 *
 * Stands between the engine and the notifier: the engine's submissions pass through with the
 * open notices added, and a new notice is submitted at once with the engine's last firing
 * alerts (the notifier takes every submission as the whole firing set, for inhibitions).
 */
export class EventNotices implements AlertSink {
  private engineFiring: Alert[] = [];
  /** Open notices by fingerprint, oldest first. */
  private readonly open = new Map<string, { alert: Alert; until: number }>();
  private readonly closing: Alert[] = [];
  /** Notices refused (no alertname, bad label) and notices resolved early (too many open). */
  readonly stats = { notified: 0, refused: 0, evicted: 0 };

  constructor(
    private readonly sink: AlertSink,
    private readonly o: EventNoticesOptions,
  ) {}

  submit(alerts: readonly Alert[], now: number): void {
    this.engineFiring = alerts.filter((a) => a.status === "firing");
    this.sink.submit([...alerts, ...this.current(now)], now);
  }

  /** Hands a notice to the receivers; false (and counted) when its labels are not an alert's. */
  notify(n: EventNotice, now: number): boolean {
    const labels = boundedLabels(n.labels);
    if (!labels) {
      this.stats.refused++;
      return false;
    }
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(n.annotations).slice(0, MAX_LABELS)) if (LABEL_NAME.test(k)) annotations[k] = String(v).slice(0, MAX_ANNOTATION);
    const fp = fingerprint(labels);
    const previous = this.open.get(fp);
    const alert: Alert = {
      fingerprint: fp,
      rule: labels.alertname as string,
      status: "firing",
      labels,
      annotations,
      startsAt: previous?.alert.startsAt ?? (Number.isFinite(n.at) ? n.at : now),
      value: n.value !== undefined && Number.isFinite(n.value) ? n.value : 0,
      missing: false,
    };
    this.open.delete(fp);
    this.open.set(fp, { alert, until: now + this.holdMs(labels) });
    while (this.open.size > (this.o.maxOpen ?? 1000)) {
      const [oldest, entry] = this.open.entries().next().value as [string, { alert: Alert; until: number }];
      this.open.delete(oldest);
      this.closing.push({ ...entry.alert, status: "resolved", endsAt: now });
      this.stats.evicted++;
    }
    this.stats.notified++;
    this.sink.submit([...this.engineFiring, ...this.current(now)], now);
    return true;
  }

  /** The open notices (firing), and those whose time is up (resolved, given once). */
  private current(now: number): Alert[] {
    const out = this.closing.splice(0);
    for (const [fp, { alert, until }] of this.open) {
      if (until <= now) {
        this.open.delete(fp);
        out.push({ ...alert, status: "resolved", endsAt: until });
      } else out.push(alert);
    }
    return out;
  }

  /** Long enough for every route the notice takes to flush its group once, whether new or already waiting. */
  private holdMs(labels: Labels): number {
    let hold = 0;
    for (const r of matchRoutes(this.o.route, labels)) hold = Math.max(hold, r.groupWaitMs + r.groupIntervalMs);
    return hold + 2 * (this.o.tickMs ?? 1000);
  }
}

function boundedLabels(input: Readonly<Record<string, string>>): Labels | undefined {
  const entries = Object.entries(input);
  if (entries.length > MAX_LABELS) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (!LABEL_NAME.test(k) || typeof v !== "string" || v.length > MAX_VALUE) return undefined;
    if (v !== "") out[k] = v;
  }
  return out.alertname ? out : undefined;
}
