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
