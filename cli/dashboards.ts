import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { buildDashboards, provisioningFiles } from "../dashboards/index.js";

/**
 * `vigie dashboards build --out DIR`: the dashboards' JSON under `DIR/dashboards/` and Grafana's
 * provisioning files (Prometheus data source, dashboard provider) under `DIR/provisioning/`.
 * Returns the paths written, relative to DIR.
 */
export function writeDashboards(outDir: string, options: { prometheusUrl?: string } = {}): string[] {
  const files: Record<string, string> = { ...provisioningFiles(options.prometheusUrl) };
  for (const { name, dashboard } of buildDashboards()) files[`dashboards/${name}.json`] = `${JSON.stringify(dashboard, null, 2)}\n`;
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(outDir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return Object.keys(files);
}
