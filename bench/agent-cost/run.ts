import { writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { agentProcessSection } from "./agent-process.js";
import { containersSection } from "./containers.js";
import { hostSection } from "./host.js";
import { nodeExporterSection } from "./node-exporter.js";
import type { CostRow, CostSection } from "./section.js";

/** Every part of the agent-cost bench, in the order they run. Container sampling adds its section here. */
const SECTIONS: CostSection[] = [hostSection, containersSection, agentProcessSection, nodeExporterSection];

const { values } = parseArgs({
  options: {
    cycles: { type: "string", default: "2000" },
    only: { type: "string" },
    out: { type: "string" },
    command: { type: "string", default: "" },
  },
});
const cycles = Number(values.cycles);
const only = values.only?.split(",");
const log = (line: string) => process.stderr.write(`${line}\n`);

const rows: CostRow[] = [];
const notes: string[] = [];
for (const section of SECTIONS) {
  if (only && !only.includes(section.name)) continue;
  log(`— ${section.name}`);
  rows.push(
    ...(await section.run({
      cycles,
      log: (line) => {
        notes.push(line);
        log(line);
      },
    })),
  );
}

const fmt = (x: number | undefined, digits = 2) => (x === undefined || Number.isNaN(x) ? "–" : x.toFixed(digits));
const table = [
  "| what | CPU ms | median wall ms | RSS MB | child processes | note |",
  "|---|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.what} | ${fmt(r.cpuMs, 3)} | ${fmt(r.wallMs, 3)} | ${fmt(r.rssMb, 1)} | ${r.children ?? "–"} | ${r.note ?? ""} |`),
];
const host = rows.find((r) => r.what === "Vigie host sampling + JSON encoding, per cycle");
const peer = rows.find((r) => r.what.startsWith("prometheus-node-exporter"));
if (host && peer && peer.cpuMs > 0) {
  const ratio = host.cpuMs / peer.cpuMs;
  notes.push(`host cycle (with encoding) / node_exporter scrape CPU = ${ratio.toFixed(3)} (target ≤ 0.2: ${ratio <= 0.2 ? "met" : "NOT met"})`);
}
// The issue's targets for the agent process, read off its rows: a full cycle with 50 containers under 10 ms CPU,
// steady RSS under 70 MB, no child processes.
const agentRows = rows.filter((r) => r.agent !== undefined);
for (const at50 of agentRows.filter((r) => r.agent?.containers === 50)) {
  notes.push(`50 containers, ${at50.agent?.window}: ${fmt(at50.cpuMs)} ms CPU per cycle (target < 10: ${at50.cpuMs < 10 ? "met" : "NOT met"})`);
}
const steadyRows = agentRows.filter((r) => r.agent?.window === "steady state");
if (steadyRows.length > 0) {
  const worst = Math.max(...steadyRows.map((r) => r.rssMb ?? Number.POSITIVE_INFINITY));
  notes.push(`steady RSS, largest of the steady-state windows: ${fmt(worst, 1)} MB (target < 70: ${worst < 70 ? "met" : "NOT met"})`);
}
if (agentRows.length > 0) {
  const children = Math.max(...agentRows.map((r) => r.children ?? 0));
  notes.push(`child processes seen under the agent: ${children} (target 0: ${children === 0 ? "met" : "NOT met"})`);
}
const report = [
  `Run ${new Date().toISOString()} on ${os.hostname()}: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, Linux ${os.release()}.`,
  "",
  ...table,
  "",
  ...notes.map((n) => `- ${n}`),
  "",
].join("\n");
process.stdout.write(report);
if (values.out) writeFileSync(values.out, `${values.command ? `Command: \`${values.command}\`\n\n` : ""}${report}`);
