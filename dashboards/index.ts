import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { autoscaling } from "./autoscaling.js";
import { applicationChecks } from "./checks.js";
import { clusterOverview } from "./cluster.js";
import { logsAndErrors } from "./logs.js";
import { nodeDetail } from "./node.js";
import { pipelineHealth } from "./pipeline.js";
import { servicesAndContainers } from "./services.js";

/**
 * Vigie's Grafana dashboards, as code (Grafana foundation SDK). Metric names come from the
 * exposition's table (protocol/exposition.ts); `vigie dashboards build` writes them as JSON with
 * Grafana's provisioning files.
 */
export { exposedNames } from "./names.js";
export { panelQueries, variableQueries, metricNames, substitute, type PanelQuery } from "./queries.js";
export { provisioningFiles, DATASOURCE_UID } from "./provisioning.js";

/** Each dashboard by the file it is written to. */
export const DASHBOARDS = {
  "cluster-overview": clusterOverview,
  "node-detail": nodeDetail,
  "services-and-containers": servicesAndContainers,
  "application-checks": applicationChecks,
  "logs-and-errors": logsAndErrors,
  autoscaling,
  "pipeline-health": pipelineHealth,
} as const;

export type DashboardName = keyof typeof DASHBOARDS;

/** Every dashboard, built. */
export function buildDashboards(): { name: DashboardName; dashboard: Dashboard }[] {
  return (Object.keys(DASHBOARDS) as DashboardName[]).map((name) => ({ name, dashboard: DASHBOARDS[name]().build() }));
}
