import { RowBuilder, type DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { FAMILY as F } from "./names.js";
import { dashboard, increase, labelVariable, table, timeseries } from "./panels.js";

const S = `service=~"$service"`;

/** What did the autoscaler do, and why? Replicas against their bounds, and its decisions. */
export function autoscaling(): DashboardBuilder {
  return dashboard("vigie-autoscaling", "Autoscaling", "Services that opted in to scaling: running replicas over time against the desired count and the min/max bounds, and each decision with its direction and reason.")
    .withVariable(labelVariable("service", "service", F.autoscaleDesiredReplicas, { title: "Service", multi: true }))
    .withRow(new RowBuilder("Replicas"))
    .withPanel(timeseries("Replicas against bounds", [
      { expr: `${F.swarmServiceReplicasRunning}{${S}}`, legend: "{{service}} running" },
      { expr: `${F.autoscaleDesiredReplicas}{${S}}`, legend: "{{service}} desired" },
      { expr: `${F.autoscaleMinReplicas}{${S}}`, legend: "{{service}} min" },
      { expr: `${F.autoscaleMaxReplicas}{${S}}`, legend: "{{service}} max" },
    ], { span: 24, min: 0 }))
    .withRow(new RowBuilder("Decisions"))
    .withPanel(timeseries("Decisions", [{ expr: `sum by (service, direction, reason) (${increase(`${F.autoscaleEvents}{${S}}`)})`, legend: "{{service}} {{direction}} ({{reason}})" }], { min: 0 }))
    .withPanel(table("Decisions in the range", { expr: `sum by (service, direction, reason) (increase(${F.autoscaleEvents}{${S}}[$__range])) > 0` }, { noValue: "none" }));
}
