import { RowBuilder, type DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { CONTAINER_LABEL as L, FAMILY as F, N } from "./names.js";
import { dashboard, increase, labelVariable, rate, stat, table, timeseries } from "./panels.js";

const SVC = `stack=~"$stack",service=~"$service"`;
const CTR = `${L.stack}=~"$stack",${L.service}=~"$service"`;

/** Are my services running as they should? Replicas, failures, restarts, OOM kills, health, usage. */
export function servicesAndContainers(): DashboardBuilder {
  const by = `sum by (${L.name})`;
  return dashboard("vigie-services", "Services and containers", "Per stack and service: replicas desired, running and healthy, task failures, container restarts, OOM kills, health, CPU and memory.")
    .withVariable(labelVariable("stack", L.stack, N.containerLastSeen, { title: "Stack", multi: true }))
    .withVariable(labelVariable("service", L.service, `${N.containerLastSeen}{${L.stack}=~"$stack"}`, { title: "Service", multi: true }))
    .withRow(new RowBuilder("Services"))
    .withPanel(stat("Containers", { expr: `count(${N.containerLastSeen}{${CTR}})` }, { noValue: "0" }))
    .withPanel(stat("Unhealthy containers", { expr: `count(${N.containerHealth}{${CTR},status="unhealthy"} == 1)` }, { noValue: "0", steps: [{ value: null, color: "green" }, { value: 1, color: "red" }] }))
    .withPanel(stat("Crash-looping services", { expr: `count(${F.swarmServiceCrashLooping}{${SVC}} == 1)` }, { noValue: "0", steps: [{ value: null, color: "green" }, { value: 1, color: "red" }] }))
    .withPanel(table("Container states", { expr: `count by (state) (${N.containerState}{${CTR}} == 1)` }, { span: 12, height: 4 }))
    .withPanel(timeseries("Replicas", [
      { expr: `${F.swarmServiceReplicasDesired}{${SVC}}`, legend: "{{service}} desired" },
      { expr: `${F.swarmServiceReplicasRunning}{${SVC}}`, legend: "{{service}} running" },
      { expr: `${F.swarmServiceReplicasHealthy}{${SVC}}`, legend: "{{service}} healthy" },
    ], { min: 0 }))
    .withPanel(timeseries("Task failures (crash-loop window)", [{ expr: `${F.swarmServiceTaskFailuresRecent}{${SVC}}`, legend: "{{service}}" }], { min: 0 }))
    .withRow(new RowBuilder("Containers"))
    .withPanel(timeseries("Restarts", [{ expr: `${by} (${increase(`${N.containerRestarts}{${CTR}}`)})`, legend: `{{${L.name}}}` }], { min: 0, description: "Restarts by the engine's restart policy." }))
    .withPanel(timeseries("OOM kills", [{ expr: `${by} (${increase(`${N.containerOom}{${CTR}}`)})`, legend: `{{${L.name}}}` }], { min: 0, description: "Processes the kernel killed at the container's memory limit." }))
    .withPanel(table("Health", { expr: `max by (${L.name}, status) (${N.containerHealth}{${CTR}} == 1)` }, { description: "The engine's health check status (starting, healthy, unhealthy, none)." }))
    .withPanel(table("Restart counts", { expr: `max by (${L.name}) (${N.containerRestarts}{${CTR}}) > 0` }, { noValue: "none" }))
    .withPanel(timeseries("CPU", [{ expr: `${by} (${rate(`${N.containerCpu}{${CTR}}`)})`, legend: `{{${L.name}}}` }], { unit: "percentunit", min: 0, description: "Cores used (1 = one core)." }))
    .withPanel(timeseries("Memory (working set)", [{ expr: `${by} (${N.containerWorkingSet}{${CTR}})`, legend: `{{${L.name}}}` }], { unit: "bytes", min: 0 }))
    .withPanel(timeseries("Memory against the limit", [{ expr: `${by} (${N.containerWorkingSet}{${CTR}}) / ${by} (${N.containerMemoryLimit}{${CTR}})`, legend: `{{${L.name}}}` }], { unit: "percentunit", min: 0, max: 1 }));
}
