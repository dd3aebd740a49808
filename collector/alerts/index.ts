import path from "node:path";
import type { Registry } from "prom-client";
import type { Logger } from "../../lib/log.js";
import type { RouteModule } from "../api/server.js";
import { Notifier, type NotifierOptions } from "../notify/notifier.js";
import { alertsSectionProblems, buildInhibitRules, buildReceivers, buildRoute, type AlertsSection } from "./config.js";
import { AlertEngine } from "./engine.js";
import { EventNotices, type EventNotice } from "./event-notices.js";
import { registerAlertMetrics } from "./metrics.js";
import { alertRoutes } from "./routes.js";
import { SilenceService } from "./silences.js";
import type { AlertSource } from "./source.js";
import { AlertStore } from "./store.js";

export { AlertsSectionSchema, alertsSectionProblems, type AlertsSection } from "./config.js";
export type { AlertSource, SignalSeries } from "./source.js";
export { SIGNALS, type SignalName } from "./signals.js";
export type { EventNotice } from "./event-notices.js";

export interface AlertsDeps {
  section: AlertsSection;
  /** The collector's data directory: the alert state goes to `alerts.db` in it. */
  dataDir: string;
  /** The shipped rules (`alerts/` of the package); loaded unless `section.shipped` is false. */
  shippedDir: string;
  source: AlertSource;
  log: Logger;
  /** The collector's URL for links (default `section.externalUrl`). */
  externalUrl: string;
  registry?: Registry;
  now?: () => number;
  /** Delivery retries (default 5 attempts from 1s, doubling). */
  retry?: NotifierOptions["retry"];
}

export interface Alerts {
  engine: AlertEngine;
  notifier: Notifier;
  silences: SilenceService;
  routes: RouteModule;
  /** Sends an event (a scaling) to the receivers its labels route it to, like an alert. False when its labels are refused. */
  notifyEvent(notice: EventNotice): boolean;
  start(): void;
  stop(): Promise<void>;
}

/**
 * Wires the alert capability: rules engine, silences, notifier and their store, plus the API
 * routes and metrics. Throws (at start-up) on bad rules or an unreadable secret file.
 */
export function createAlerts(d: AlertsDeps): Alerts {
  const now = d.now ?? (() => Date.now());
  const problems = alertsSectionProblems(d.section);
  if (problems.length > 0) throw new Error(`invalid alerts configuration:\n  ${problems.join("\n  ")}`);
  const store = new AlertStore(path.join(d.dataDir, "alerts.db"));
  const silences = new SilenceService(store, now);
  const route = buildRoute(d.section);
  const notifier = new Notifier({
    route,
    receivers: buildReceivers(d.section),
    inhibitRules: buildInhibitRules(d.section),
    store,
    silences: () => silences.active(),
    externalUrl: d.section.externalUrl ?? d.externalUrl,
    log: d.log.child({ component: "notify" }),
    now,
    ...(d.retry ? { retry: d.retry } : {}),
  });
  const notices = new EventNotices(notifier, { route });
  const targets = [...(d.section.shipped ? [d.shippedDir] : []), ...(d.section.dir ? [d.section.dir] : [])];
  let engine: AlertEngine;
  try {
    engine = new AlertEngine({ ruleTargets: targets, source: d.source, store, sink: notices, intervalMs: d.section.evaluationInterval, log: d.log.child({ component: "alerts" }), now });
  } catch (err) {
    store.close();
    throw err;
  }
  if (d.registry) registerAlertMetrics(d.registry, engine, notifier.counts);
  return {
    engine,
    notifier,
    silences,
    routes: alertRoutes({ engine, silences, now }),
    notifyEvent: (notice) => notices.notify(notice, now()),
    start() {
      engine.start();
      notifier.start();
    },
    async stop() {
      await engine.stop();
      await notifier.stop();
      store.close();
    },
  };
}
