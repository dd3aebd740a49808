import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { writeDashboards } from "../../cli/dashboards.js";
import { main } from "../../cli/main.js";
import { buildDashboards, exposedNames, metricNames, panelQueries, provisioningFiles, substitute, variableQueries } from "../../dashboards/index.js";

const built = buildDashboards();
const names = exposedNames();

describe("dashboards as code", () => {
  it("builds every dashboard with a unique uid, the data source variable and at least one panel", () => {
    expect(built.map((b) => b.name)).toEqual(["cluster-overview", "node-detail", "services-and-containers", "application-checks", "logs-and-errors", "autoscaling", "pipeline-health"]);
    const uids = built.map((b) => b.dashboard.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const { dashboard } of built) {
      expect(dashboard.templating.list?.[0]).toMatchObject({ name: "datasource", type: "datasource", query: "prometheus" });
      expect(panelQueries(dashboard).length).toBeGreaterThan(0);
    }
  });

  it("gives every panel a query, and every query an expression", () => {
    for (const { name, dashboard } of built) {
      for (const p of dashboard.panels ?? []) {
        if (p.type === "row") continue;
        const qs = panelQueries({ ...dashboard, panels: [p] });
        expect(qs.length, `${name} / ${p.title}`).toBeGreaterThan(0);
        for (const q of qs) expect(q.expr.trim(), `${name} / ${p.title} ${q.refId}`).not.toBe("");
      }
    }
  });

  it("queries only metric names of the exposition's table (panels and variables)", () => {
    const unknown: string[] = [];
    let seen = 0;
    for (const { name, dashboard } of built) {
      const exprs = [...panelQueries(dashboard).map((q) => [q.panel, q.expr] as const), ...variableQueries(dashboard).map((v) => [`$${v.name}`, v.selector] as const)];
      for (const [where, expr] of exprs) {
        const found = metricNames(expr);
        seen += found.length;
        for (const n of found) if (!names.has(n)) unknown.push(`${name} / ${where}: ${n}`);
      }
    }
    expect(unknown).toEqual([]);
    expect(seen).toBeGreaterThan(50);
  });

  it("reads metric names out of PromQL, leaving functions, keywords, labels and durations", () => {
    expect(metricNames('100 * (1 - avg by (node) (rate(node_cpu_seconds_total{mode="idle"}[$__rate_interval])))')).toEqual(["node_cpu_seconds_total"]);
    expect(metricNames('a_total{x="y z"} / on (node) group_left(name) b - time() > bool 0 and unknown_metric')).toEqual(["a_total", "b", "unknown_metric"]);
    expect(metricNames("topk(10, sum without (cpu) (x offset 5m))")).toEqual(["x"]);
  });

  it("substitutes variables as Grafana does, the longest name first", () => {
    expect(substitute('rate(x{node="$node",s=~"${service}"}[$__rate_interval])', { node: "a", service: "b|c", __rate_interval: "30s", __rate: "no" })).toBe('rate(x{node="a",s=~"b|c"}[30s])');
  });

  it("writes the JSON and the provisioning files, the same as those the stack deploys (deploy/grafana)", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "vigie-dashboards-"));
    try {
      const files = writeDashboards(dir);
      expect(files).toContain("provisioning/datasources/vigie.yml");
      expect(files).toContain("dashboards/cluster-overview.json");
      const deploy = path.resolve(import.meta.dirname, "../../deploy/grafana");
      for (const f of files) expect(readFileSync(path.join(dir, f), "utf8"), `deploy/grafana/${f} is stale: run vigie dashboards build --out deploy/grafana`).toBe(readFileSync(path.join(deploy, f), "utf8"));
      const json = JSON.parse(readFileSync(path.join(dir, "dashboards/node-detail.json"), "utf8")) as { uid: string; schemaVersion: number };
      expect(json).toMatchObject({ uid: "vigie-node", schemaVersion: 42 });
      expect(provisioningFiles("http://127.0.0.1:9090")["provisioning/datasources/vigie.yml"]).toContain("url: http://127.0.0.1:9090");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("vigie dashboards build --out DIR writes the files and names them; without --out it is a usage error", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "vigie-dashboards-cli-"));
    const printed: string[] = [];
    try {
      expect(await main(["dashboards", "build", "--out", dir], (t) => printed.push(t))).toBe(0);
      expect(printed).toContain("dashboards/pipeline-health.json");
      expect(JSON.parse(readFileSync(path.join(dir, "dashboards/pipeline-health.json"), "utf8"))).toMatchObject({ uid: "vigie-pipeline" });
      const stderr = process.stderr.write.bind(process.stderr);
      process.stderr.write = () => true;
      try {
        expect(await main(["dashboards", "build"], () => {})).toBe(2);
      } finally {
        process.stderr.write = stderr;
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names each of the stack's dashboard configs after a dashboard file", () => {
    const stack = readFileSync(path.resolve(import.meta.dirname, "../../deploy/stack.yml"), "utf8");
    for (const { name } of built) expect(stack).toContain(`file: ./grafana/dashboards/${name}.json`);
  });
});
