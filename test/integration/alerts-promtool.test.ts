import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { evaluateRules, type AlertsState } from "../../collector/alerts/evaluate.js";
import { exportPrometheus } from "../../collector/alerts/export-prometheus.js";
import { formatProblem, loadRules } from "../../collector/alerts/load.js";
import type { Rule } from "../../collector/alerts/rules.js";
import type { SignalName } from "../../collector/alerts/signals.js";
import { StaticSource } from "../../collector/alerts/source.js";
import { loadCases, type AlertCase } from "../fixtures/alerts/cases.js";
import { PROMTOOL_BIN } from "../support/prometheus.js";

const run = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), "vigie-promtool-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const loaded = loadRules([path.resolve(import.meta.dirname, "../../alerts")]);
if (!loaded.ok) throw new Error(loaded.problems.map(formatProblem).join("\n"));
const files = exportPrometheus(loaded.rules);
for (const f of files) writeFileSync(path.join(dir, f.name), f.text);

type Labels = Record<string, string>;
const sel = (name: string, labels: Labels) => `${name}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")}}`;
const values = (vs: (number | null)[], f: (v: number) => number = (v) => v) => vs.map((v) => (v === null ? "_" : String(f(v)))).join(" ");

/** The exposition series that make a signal's values, as the collector would expose them. */
const ENCODE: Partial<Record<SignalName, (l: Labels, v: (number | null)[]) => { series: string; values: string }[]>> = {
  node_reporting: (l, v) => [{ series: sel("vigie_node_status", { ...l, node_id: `id-${l.node}`, status: "up" }), values: values(v) }],
  node_memory_utilization: (l, v) => [
    { series: sel("node_memory_MemTotal_bytes", l), values: values(v, () => 1000) },
    { series: sel("node_memory_MemAvailable_bytes", l), values: values(v, (x) => 1000 - x * 10) },
  ],
  node_filesystem_avail_bytes: (l, v) => [{ series: sel("node_filesystem_avail_bytes", { ...l, device: "/dev/vda1", fstype: "ext4" }), values: values(v) }],
  container_restarts: (l, v) => [
    {
      series: sel("vigie_container_restarts_total", { node: l.node ?? "", name: l.container ?? "", image: "shop:1", container_label_com_docker_swarm_service_name: l.service ?? "", container_label_com_docker_stack_namespace: l.stack ?? "" }),
      values: values(v),
    },
  ],
  service_replicas_missing: (l, v) => [
    { series: sel("vigie_swarm_service_replicas_desired", l), values: values(v, () => 3) },
    { series: sel("vigie_swarm_service_replicas_running", l), values: values(v, (x) => 3 - x) },
  ],
  check_success: (l, v) => [{ series: sel("probe_success", l), values: values(v) }],
};

/** What Vigie's engine says is firing at each expected time, with its rendered annotations. */
function engineFiring(rule: Rule, c: AlertCase): Map<number, { labels: Labels; annotations: Labels }[]> {
  const source = new StaticSource({ [rule.signal]: c.series.map((s) => ({ labels: s.labels, points: s.values.flatMap((v, i) => (v === null ? [] : [[i * c.intervalMs, v] as const])) })) });
  const out = new Map<number, { labels: Labels; annotations: Labels }[]>();
  let state: AlertsState = new Map();
  const last = Math.max(...c.expect.map((e) => e.atMs));
  for (let t = 0; t <= last; t += c.intervalMs) {
    state = evaluateRules([rule], state, source, t).state;
    out.set(t, [...(state.get(rule.name)?.values() ?? [])].filter((i) => i.state === "firing").map((i) => ({ labels: i.labels, annotations: i.annotations })));
  }
  return out;
}

function promtoolTest(c: AlertCase): string {
  const rule = loaded.ok ? loaded.rules.find((r) => r.name === c.rule) : undefined;
  if (!rule) throw new Error(`no shipped rule ${c.rule}`);
  const encode = ENCODE[rule.signal];
  if (!encode) throw new Error(`no exposition encoding for ${rule.signal}`);
  const engine = engineFiring(rule, c);
  return stringify({
    rule_files: files.map((f) => path.join(dir, f.name)),
    evaluation_interval: `${c.intervalMs / 1000}s`,
    tests: [
      {
        interval: `${c.intervalMs / 1000}s`,
        input_series: c.series.flatMap((s) => encode(s.labels, s.values)),
        alert_rule_test: c.expect.map((e) => ({
          eval_time: `${e.atMs / 1000}s`,
          alertname: rule.name,
          exp_alerts: e.firing.map((labels) => {
            const want = { ...labels, alertname: rule.name, severity: rule.severity };
            const seen = engine.get(e.atMs)?.find((a) => JSON.stringify(Object.entries(a.labels).sort()) === JSON.stringify(Object.entries(want).sort()));
            return { exp_labels: { ...labels, severity: rule.severity }, ...(seen ? { exp_annotations: seen.annotations } : {}) };
          }),
        })),
      },
    ],
  });
}

describe("exported Prometheus rules", () => {
  it("pass promtool check rules", async () => {
    const { stdout } = await run(PROMTOOL_BIN, ["check", "rules", ...files.map((f) => path.join(dir, f.name))]);
    expect(stdout.match(/SUCCESS/g)?.length).toBe(files.length);
  });

  for (const c of loadCases()) {
    it(`agree with the engine: ${c.name}`, async () => {
      const file = path.join(dir, `${c.rule}-${loadCases().indexOf(loadCases().find((x) => x.name === c.name) as AlertCase)}.test.yml`);
      writeFileSync(file, promtoolTest(c));
      const result = await run(PROMTOOL_BIN, ["test", "rules", file]).then(
        (r) => ({ ok: true, out: r.stdout + r.stderr }),
        (err: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${err.stdout ?? ""}${err.stderr ?? ""}` }),
      );
      expect(result.out).toContain("SUCCESS");
      expect(result.ok).toBe(true);
    });
  }

  it("a case promtool would fail is seen failing (the test can fail)", async () => {
    const c = loadCases()[0] as AlertCase;
    const wrong: AlertCase = { ...c, expect: [{ atMs: 2 * 60_000, firing: [{ node: "node-a" }] }] };
    const file = path.join(dir, "wrong.test.yml");
    writeFileSync(file, promtoolTest(wrong));
    await expect(run(PROMTOOL_BIN, ["test", "rules", file])).rejects.toThrow();
  });
});
