import { RowBuilder, type DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { FAMILY as F } from "./names.js";
import { dashboard, labelVariable, stat, table, timeseries } from "./panels.js";

const S = `service=~"$service"`;

/** Do my applications answer? Check states, success, latency, HTTP codes, certificate expiry. */
export function applicationChecks(): DashboardBuilder {
  return dashboard("vigie-checks", "Application checks", "Status checks (HTTP, TCP) per check, service and node: state, success, latency, HTTP status codes and days left on certificates.")
    .withVariable(labelVariable("service", "service", F.probeSuccess, { title: "Service", multi: true }))
    .withRow(new RowBuilder("Checks"))
    .withPanel(stat("Checks down", { expr: `count(${F.checkState}{${S},state=~"down|error"} == 1)` }, { noValue: "0", steps: [{ value: null, color: "green" }, { value: 1, color: "red" }] }))
    .withPanel(stat("Checks up", { expr: `count(${F.checkState}{${S},state="up"} == 1)` }, { noValue: "0" }))
    .withPanel(stat("Earliest certificate expiry", { expr: `min(${F.probeSslEarliestCertExpiry}{${S}}) - time()` }, { unit: "s", steps: [{ value: null, color: "red" }, { value: 7 * 86400, color: "orange" }, { value: 21 * 86400, color: "green" }] }))
    .withPanel(table("State", { expr: `max by (check, service, node, state) (${F.checkState}{${S}} == 1)` }, { span: 12, height: 8 }))
    .withPanel(timeseries("Success", [{ expr: `min by (check) (${F.probeSuccess}{${S}})`, legend: "{{check}}" }], { min: 0, max: 1 }))
    .withPanel(timeseries("Latency", [{ expr: `max by (check) (${F.probeDuration}{${S}})`, legend: "{{check}}" }], { unit: "s", min: 0 }))
    .withPanel(timeseries("HTTP status codes", [{ expr: `max by (check) (${F.probeHttpStatusCode}{${S}})`, legend: "{{check}}" }]))
    .withPanel(table("Certificates: days left", { expr: `(min by (check, service) (${F.probeSslEarliestCertExpiry}{${S}}) - time()) / 86400` }, { span: 12 }));
}
