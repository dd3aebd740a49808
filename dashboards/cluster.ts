import { RowBuilder, type DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { FAMILY as F, N } from "./names.js";
import { dashboard, greenFrom, rate, redFrom, stat, table, timeseries } from "./panels.js";

/** Is the cluster well? Nodes, their resources, services short of replicas, the managers, alerts. */
export function clusterOverview(): DashboardBuilder {
  const status = F.nodeStatus;
  return dashboard("vigie-cluster", "Cluster overview", "Nodes up and down, CPU, memory and disk per node, services short of their replicas, manager quorum, firing alerts.")
    .withRow(new RowBuilder("Cluster"))
    .withPanel(stat("Nodes up", { expr: `count(${status}{status="up"} == 1)` }, { steps: greenFrom(1), noValue: "0" }))
    .withPanel(stat("Nodes not up", { expr: `count(${status}{status!="up"} == 1)` }, { steps: redFrom(1), noValue: "0", description: "Stale: 3 intervals without a message; down: silent past the down delay." }))
    .withPanel(stat("Manager quorum", { expr: F.swarmQuorumOk }, { steps: greenFrom(1), description: "1 when a majority of managers is reachable." }))
    .withPanel(stat("Managers reachable", [{ expr: F.swarmManagersReachable, legend: "reachable" }, { expr: F.swarmManagers, legend: "managers" }]))
    .withPanel(stat("Services short of replicas", { expr: `count(${F.swarmServiceReplicasDesired} - ${F.swarmServiceReplicasRunning} > 0)` }, { steps: redFrom(1), noValue: "0" }))
    // vigie_alerts counts a rule's alerts in one sample (per rule, state and severity): summed, not counted.
    .withPanel(stat("Firing alerts", { expr: `sum(${F.alerts}{state="firing"})` }, { steps: redFrom(1), noValue: "0" }))
    .withPanel(table("Nodes by hostname", { expr: `max by (node, status) (${status} == 1)` }, { span: 12, description: "Every node the collector knows, with its status (up, stale, down)." }))
    .withPanel(table("Services under their desired replicas", { expr: `${F.swarmServiceReplicasDesired} - ${F.swarmServiceReplicasRunning} > 0` }, { span: 12, description: "Replicas missing (desired minus running)." }))
    .withRow(new RowBuilder("Resources per node"))
    .withPanel(timeseries("CPU busy", [{ expr: `100 * (1 - avg by (node) (${rate(`${N.cpu}{mode="idle"}`)}))`, legend: "{{node}}" }], { span: 8, unit: "percent", min: 0, max: 100 }))
    .withPanel(timeseries("Memory used", [{ expr: `100 * (1 - max by (node) (${N.memAvailable}) / max by (node) (${N.memTotal}))`, legend: "{{node}}" }], { span: 8, unit: "percent", min: 0, max: 100 }))
    .withPanel(timeseries("Fullest filesystem", [{ expr: `100 * max by (node) (1 - ${N.fsAvail} / ${N.fsSize})`, legend: "{{node}}" }], { span: 8, unit: "percent", min: 0, max: 100 }))
    .withRow(new RowBuilder("Alerts"))
    .withPanel(table("Firing alerts by name", { expr: `sum by (alertname, severity) (${F.alerts}{state="firing"}) > 0` }, { span: 24, noValue: "none", description: "Firing alerts of each rule (the collector's API lists them one by one: /api/v1/alerts)." }));
}
