import { existsSync } from "node:fs";
import path from "node:path";
import type { Registry } from "prom-client";
import type { Logger } from "../../lib/log.js";
import type { RouteModule } from "../api/server.js";
import type { ClusterModel } from "../model/index.js";
import type { AlertsSection } from "./config.js";
import { createAlerts, type Alerts, type AlertsDeps } from "./index.js";
import { registerAlertMetrics } from "./metrics.js";
import { ModelAlertSource, type LogRate } from "./model-source.js";

/** What the collector needs to run alerts (the CLI maps the `alerts` section onto this). */
export interface CollectorAlertsOptions {
  section: AlertsSection;
  /** The shipped rules; default the package's `alerts/` (from the sources or the build). */
  shippedDir?: string;
  /** The error-log rate, once the log store is on (`log_error_rate` says its data is missing without it). */
  logRate?: LogRate;
  /** Read the rules again on SIGHUP (the collector process). Default true. */
  reloadOnSighup?: boolean;
  /**
   * How long after start-up the first evaluation waits (default `section.warmup`, 30 s: three of
   * the agents' default intervals, three Swarm readings). Checks, the Swarm view and event counts are rebuilt from what
   * arrives after a restart; evaluated at once, every open alert on them would be said to miss its data.
   */
  warmupMs?: number;
  /** Delivery retries (tests shorten them). */
  retry?: AlertsDeps["retry"];
}

/** The package's `alerts/`: two levels up from the sources (`collector/alerts/`), three from the build (`dist/collector/alerts/`). */
export const SHIPPED_ALERTS_DIR =
  [path.resolve(import.meta.dirname, "../../alerts"), path.resolve(import.meta.dirname, "../../../alerts")].find((d) => existsSync(path.join(d, "nodes.yaml"))) ??
  path.resolve(import.meta.dirname, "../../alerts");

export interface CollectorAlerts {
  alerts: Alerts;
  source: ModelAlertSource;
  routes: RouteModule;
  /** Sends an event (a scaling) through the alert routing to the receivers. */
  notifyEvent: Alerts["notifyEvent"];
  /** Registers the alert metrics and starts evaluating and notifying. */
  start(registry: Registry): void;
  stop(): Promise<void>;
}

/**
 * The alert capability inside the collector: the model adapted as the engine's source (counting
 * events from now on: call it before the stream is replayed and ingest starts), the engine,
 * notifier and silences with their state in `<dataDir>/collector/alerts.db`, the routes, and
 * SIGHUP → reload. Throws on bad rules or an unreadable secret, so a bad setup stops start-up.
 */
export function collectorAlerts(model: ClusterModel, o: CollectorAlertsOptions & { dataDir: string; listen: string; log: Logger; now: () => number }): CollectorAlerts {
  const source = new ModelAlertSource(model, o.logRate ? { logRate: o.logRate } : {});
  const log = o.log.child({ component: "alerts" });
  const alerts = createAlerts({
    section: o.section,
    dataDir: path.join(o.dataDir, "collector"),
    shippedDir: o.shippedDir ?? SHIPPED_ALERTS_DIR,
    source,
    log: o.log,
    externalUrl: `http://${o.listen}`,
    now: o.now,
    ...(o.retry ? { retry: o.retry } : {}),
  });
  const detach = source.attach();
  const onHup = () => {
    const r = alerts.engine.reload();
    if (r.ok) log.info({ rules: r.rules }, "alert rules reloaded (SIGHUP)");
    else log.error({ problems: r.problems }, "alert rules not reloaded, the previous ones stay");
  };
  // Event counts of containers gone for a day are dropped with each evaluation's interval at most.
  const prune = setInterval(() => source.prune(o.now() - 86_400_000), 3_600_000);
  prune.unref();
  let warmup: NodeJS.Timeout | undefined;
  return {
    alerts,
    source,
    routes: alerts.routes,
    notifyEvent: (notice) => alerts.notifyEvent(notice),
    start(registry) {
      registerAlertMetrics(registry, alerts.engine, alerts.notifier.counts);
      if (o.reloadOnSighup !== false) process.on("SIGHUP", onHup);
      warmup = setTimeout(() => alerts.start(), o.warmupMs ?? o.section.warmup);
      warmup.unref();
    },
    async stop() {
      clearInterval(prune);
      clearTimeout(warmup);
      process.off("SIGHUP", onHup);
      detach();
      await alerts.stop();
    },
  };
}
