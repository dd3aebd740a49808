import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { MetricsHistory } from "../../collector/history/store.js";
import type { EnvelopeOf, Metric } from "../../protocol/index.js";

/**
 * What one minute of rollups costs to write as the rollup table grows: `--series` series, one
 * sample each per minute for `--minutes` minutes; every minute closes one rollup per series and
 * is flushed at once. Prints CPU µs per row and the database and WAL sizes per minute.
 * Usage: node rollup-growth.js [--series 300000] [--minutes 30]
 */
const { values: args } = parseArgs({ options: { series: { type: "string", default: "300000" }, minutes: { type: "string", default: "30" } } });
const series = Number(args.series);
const minutes = Number(args.minutes);
const dir = mkdtempSync(path.join(tmpdir(), "vigie-rollup-growth-"));
const file = path.join(dir, "history.db");
const t0 = Date.UTC(2026, 0, 1);
const history = new MetricsHistory(file, { now: () => t0, intervalMs: 60_000, maxSeries: series + 1, maxSeriesPerNode: series + 1 });
const perMetric = 100;
const metrics = (minute: number): Metric[] =>
  Array.from({ length: Math.ceil(series / perMetric) }, (_, m) => ({
    name: `bench.m${m}`, type: "gauge", unit: "1",
    points: Array.from({ length: Math.min(perMetric, series - m * perMetric) }, (_, p) => ({ attributes: { p }, value: minute + p })),
  }));
const env = (minute: number): EnvelopeOf<"metrics"> => ({
  schema: "vigie.v1", kind: "metrics", node: { id: "n", hostname: "h" }, agent: { version: "bench", bootId: "b", seq: minute + 1 }, time: t0 + minute * 60_000, payload: { resources: [{ resource: {}, metrics: metrics(minute) }] },
});
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const size = (f: string) => {
  try {
    return statSync(f).size / 2 ** 20;
  } catch {
    return 0;
  }
};
process.stdout.write(`| minute | rows | flush CPU | µs per row | db MiB | WAL MiB |\n|---|---|---|---|---|---|\n`);
for (let k = 0; k <= minutes; k++) {
  history.append(env(k));
  const c = cpu();
  let rows = 0;
  for (let n; (n = history.flush()) > 0; ) rows += n;
  const spent = cpu() - c;
  if (k > 0) process.stdout.write(`| ${k} | ${rows} | ${(spent / 1000).toFixed(2)} s | ${((1000 * spent) / Math.max(1, rows)).toFixed(1)} | ${size(file).toFixed(0)} | ${size(`${file}-wal`).toFixed(0)} |\n`);
}
history.close();
rmSync(dir, { recursive: true, force: true });
