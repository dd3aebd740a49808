import { RowBuilder, type DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { CONTAINER_LABEL as L, FAMILY as F, N } from "./names.js";
import { dashboard, increase, rate, stat, table, timeseries } from "./panels.js";

/** The agents run as the stack's `agent` service: its containers are the agents' cost. */
const AGENT = `${L.service}=~".+_agent"`;

/** Can I trust what Vigie shows? Ingest lag, gaps, dead letters, the agents' cost per node. */
export function pipelineHealth(): DashboardBuilder {
  return dashboard("vigie-pipeline", "Pipeline health", "Vigie's own health: ingest lag and throughput, messages missing per node (gaps), dead letters, agents last heard, what the agents cost each node, the collector's memory of series.")
    .withRow(new RowBuilder("Ingest"))
    .withPanel(stat("Ingest lag", { expr: F.ingestLag }, { unit: "s", steps: [{ value: null, color: "green" }, { value: 30, color: "orange" }, { value: 120, color: "red" }] }))
    .withPanel(stat("Messages missing", { expr: `sum(${F.agentMessagesMissing})` }, { steps: [{ value: null, color: "green" }, { value: 1, color: "orange" }] }))
    .withPanel(stat("Dead letters (range)", { expr: `sum(increase(${F.ingestDeadLetters}[$__range]))` }, { noValue: "0", steps: [{ value: null, color: "green" }, { value: 1, color: "red" }] }))
    .withPanel(stat("Series in memory", { expr: F.historySeries }))
    .withPanel(stat("Model subscriber errors", { expr: F.modelListenerErrors }, { steps: [{ value: null, color: "green" }, { value: 1, color: "red" }] }))
    .withPanel(stat("/metrics render time", { expr: F.expositionRenderSeconds }, { unit: "s" }))
    .withPanel(timeseries("Ingest lag", [{ expr: F.ingestLag, legend: "lag" }], { unit: "s", min: 0 }))
    .withPanel(timeseries("Messages ingested", [{ expr: `sum by (outcome) (${rate(F.ingestMessages)})`, legend: "{{outcome}}" }], { unit: "reqps", min: 0 }))
    .withPanel(timeseries("Dead letters by reason", [{ expr: `sum by (reason) (${increase(F.ingestDeadLetters)})`, legend: "{{reason}}" }], { min: 0 }))
    .withPanel(timeseries("Messages missing by node (gaps)", [{ expr: F.agentMessagesMissing, legend: "{{node}}" }], { min: 0 }))
    .withRow(new RowBuilder("Agents"))
    .withPanel(table("Agents last heard", { expr: F.nodeLastSeen }, { unit: "s" }))
    .withPanel(timeseries("Agent CPU per node", [{ expr: `sum by (node) (${rate(`${N.containerCpu}{${AGENT}}`)})`, legend: "{{node}}" }], { unit: "percentunit", min: 0, description: "CPU of the stack's agent containers (1 = one core)." }))
    .withPanel(timeseries("Agent memory per node", [{ expr: `sum by (node) (${N.containerWorkingSet}{${AGENT}})`, legend: "{{node}}" }], { unit: "bytes", min: 0 }));
}
