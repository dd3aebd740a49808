import { RowBuilder, type DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { CONTAINER_LABEL as L, FAMILY as F, N } from "./names.js";
import { dashboard, labelVariable, rate, stat, table, timeseries } from "./panels.js";

const ON = `node="$node"`;

/** What is this node doing? Its CPU, memory, disks, network and the containers on it. */
export function nodeDetail(): DashboardBuilder {
  const cpus = `count(count by (cpu) (${N.cpu}{${ON}}))`;
  return dashboard("vigie-node", "Node detail", "One node: status, CPU by mode, load, memory, swap, filesystems, disk and network traffic, its busiest containers.")
    .withVariable(labelVariable("node", "node", F.nodeStatus, { title: "Node" }))
    .withRow(new RowBuilder("Node"))
    .withPanel(stat("Status", { expr: `max by (status) (${F.nodeStatus}{${ON}} == 1)`, legend: "{{status}}" }))
    .withPanel(stat("Uptime", { expr: `time() - max(${N.bootTime}{${ON}})` }, { unit: "s" }))
    .withPanel(stat("CPUs", { expr: cpus }))
    .withPanel(stat("Memory total", { expr: `max(${N.memTotal}{${ON}})` }, { unit: "bytes" }))
    .withPanel(stat("Containers", { expr: `count(${N.containerLastSeen}{${ON}})` }, { noValue: "0" }))
    .withPanel(stat("Agent last heard", { expr: `max(${F.nodeLastSeen}{${ON}})` }, { unit: "s" }))
    .withRow(new RowBuilder("CPU and memory"))
    .withPanel(timeseries("CPU by mode", [{ expr: `sum by (mode) (${rate(`${N.cpu}{${ON},mode!="idle"}`)}) / scalar(${cpus})`, legend: "{{mode}}" }], { unit: "percentunit", min: 0 }))
    .withPanel(timeseries("Load", [
      { expr: `max(${N.load1}{${ON}})`, legend: "1m" },
      { expr: `max(${N.load5}{${ON}})`, legend: "5m" },
      { expr: `max(${N.load15}{${ON}})`, legend: "15m" },
    ]))
    .withPanel(timeseries("Memory", [
      { expr: `max(${N.memTotal}{${ON}}) - max(${N.memAvailable}{${ON}})`, legend: "used" },
      { expr: `max(${N.memAvailable}{${ON}})`, legend: "available" },
      { expr: `max(${N.memCached}{${ON}})`, legend: "cached" },
      { expr: `max(${N.memBuffers}{${ON}})`, legend: "buffers" },
    ], { unit: "bytes", min: 0 }))
    .withPanel(timeseries("Swap used", [{ expr: `max(${N.swapTotal}{${ON}}) - max(${N.swapFree}{${ON}})`, legend: "used" }], { unit: "bytes", min: 0 }))
    .withRow(new RowBuilder("Disks and network"))
    .withPanel(timeseries("Filesystems used", [{ expr: `100 * (1 - ${N.fsAvail}{${ON}} / ${N.fsSize}{${ON}})`, legend: "{{mountpoint}}" }], { unit: "percent", min: 0, max: 100 }))
    .withPanel(timeseries("Disk traffic", [
      { expr: `sum by (device) (${rate(`${N.diskRead}{${ON}}`)})`, legend: "{{device}} read" },
      { expr: `-sum by (device) (${rate(`${N.diskWritten}{${ON}}`)})`, legend: "{{device}} written" },
    ], { unit: "Bps" }))
    .withPanel(timeseries("Network traffic", [
      { expr: `sum by (device) (${rate(`${N.netReceive}{${ON}}`)})`, legend: "{{device}} in" },
      { expr: `-sum by (device) (${rate(`${N.netTransmit}{${ON}}`)})`, legend: "{{device}} out" },
    ], { unit: "Bps" }))
    .withPanel(table("Busiest containers (CPU)", { expr: `topk(10, sum by (${L.name}) (${rate(`${N.containerCpu}{${ON}}`)}))` }, { unit: "percentunit" }));
}
