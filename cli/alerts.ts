import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { exportPrometheus } from "../collector/alerts/export-prometheus.js";
import { formatProblem, loadRules } from "../collector/alerts/load.js";
import { listAll, type QueryContext } from "./query.js";
import { renderTable } from "./table.js";

/** Where the shipped rules are: the package's `alerts/`, from the sources (`cli/`) or the build (`dist/cli/`). */
export const SHIPPED_RULES_DIR = [path.resolve(import.meta.dirname, "../alerts"), path.resolve(import.meta.dirname, "../../alerts")].find((d) => existsSync(path.join(d, "nodes.yaml"))) ?? path.resolve(import.meta.dirname, "../alerts");

export interface AlertsCommandOptions {
  out: (text: string) => void;
  err: (text: string) => void;
  /** `--format` of export (only `prometheus`). */
  format?: string;
  /** `--output` of export: a directory; without it the files go to stdout. */
  output?: string;
}

/**
 * `vigie alerts check [FILE|DIR…]` validates rule files (default: the shipped rules) and names
 * the file, rule and field of every problem; `vigie alerts export --format prometheus [FILE|DIR…]`
 * writes the same rules as Prometheus rule files. Returns the exit code.
 */
export function runAlertsCommand(args: readonly string[], options: AlertsCommandOptions): number {
  const [sub, ...targets] = args;
  const paths = targets.length > 0 ? targets : [SHIPPED_RULES_DIR];
  if (sub !== "check" && sub !== "export") {
    options.err(`vigie alerts: expected check or export, got ${sub ?? "nothing"}`);
    return 2;
  }
  const loaded = loadRules(paths);
  if (!loaded.ok) {
    for (const p of loaded.problems) options.err(formatProblem(p));
    options.err(`${loaded.problems.length} problem${loaded.problems.length === 1 ? "" : "s"}; no rule was changed`);
    return 1;
  }
  if (loaded.files.length === 0) {
    options.err(`no rule files (*.yaml, *.yml) in ${paths.join(", ")}`);
    return 1;
  }
  if (sub === "check") {
    options.out(`${loaded.rules.length} rules in ${loaded.files.length} files: OK`);
    return 0;
  }
  if ((options.format ?? "prometheus") !== "prometheus") {
    options.err(`vigie alerts export: unknown format ${options.format}; known: prometheus`);
    return 2;
  }
  const files = exportPrometheus(loaded.rules);
  if (!options.output) {
    for (const f of files) options.out(`# --- ${f.name}\n${f.text}`);
    return 0;
  }
  mkdirSync(options.output, { recursive: true });
  for (const f of files) writeFileSync(path.join(options.output, f.name), f.text);
  options.out(`wrote ${files.length} Prometheus rule files to ${options.output}`);
  return 0;
}

interface AlertView {
  alertname: string;
  state: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  activeSince: string;
  firingSince: string | null;
  value: number | null;
  dataMissingSince: string | null;
  silencedBy: string[];
}

/** `vigie query alerts`: the open alerts, with their state and since when (every page, up to `--limit`). */
export const ALERT_QUERIES: Record<string, (ctx: QueryContext) => Promise<void>> = {
  async alerts(ctx) {
    const alerts = await listAll<AlertView>(ctx, "alerts");
    if (ctx.json) return ctx.out(JSON.stringify(alerts, null, 2));
    ctx.out(
      renderTable(
        ["ALERT", "STATE", "SEVERITY", "SINCE", "LABELS", "SUMMARY"],
        alerts.map((a) => {
          const { alertname: _n, severity, ...rest } = a.labels;
          const state = `${a.state}${a.dataMissingSince ? " (no data)" : ""}${a.silencedBy.length > 0 ? " (silenced)" : ""}`;
          return [a.alertname, state, severity, a.firingSince ?? a.activeSince, Object.entries(rest).map(([k, v]) => `${k}=${v}`).join(" "), a.annotations.summary ?? ""];
        }),
      ),
    );
  },
};
