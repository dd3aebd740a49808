import { RowBuilder, type DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { FAMILY as F } from "./names.js";
import { dashboard, labelVariable, rate, table, timeseries } from "./panels.js";

const S = `stack=~"$stack",service=~"$service"`;
const ERRORS = `severity=~"ERROR|FATAL"`;

/** Who is logging errors, and how much? Record rates by severity and by service. */
export function logsAndErrors(): DashboardBuilder {
  const records = F.logRecords;
  return dashboard("vigie-logs", "Logs and errors", "Log records per second by severity and by service, the share of errors, the noisiest services. Search the records themselves with the collector's API.")
    .withVariable(labelVariable("stack", "stack", records, { title: "Stack", multi: true }))
    .withVariable(labelVariable("service", "service", `${records}{stack=~"$stack"}`, { title: "Service", multi: true }))
    .withRow(new RowBuilder("Records"))
    .withPanel(timeseries("Records by severity", [{ expr: `sum by (severity) (${rate(`${records}{${S}}`)})`, legend: "{{severity}}" }], { unit: "reqps", min: 0 }))
    .withPanel(timeseries("Errors by service", [{ expr: `sum by (service) (${rate(`${records}{${S},${ERRORS}}`)})`, legend: "{{service}}" }], { unit: "reqps", min: 0 }))
    .withPanel(timeseries("Error share by service", [{ expr: `sum by (service) (${rate(`${records}{${S},${ERRORS}}`)}) / sum by (service) (${rate(`${records}{${S}}`)})`, legend: "{{service}}" }], { unit: "percentunit", min: 0, max: 1 }))
    .withPanel(table("Noisiest services", { expr: `topk(10, sum by (service) (${rate(`${records}{${S}}`)}))` }, { unit: "reqps" }));
}
