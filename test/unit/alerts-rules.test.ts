import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatProblem, loadRules, parseRuleFile } from "../../collector/alerts/load.js";
import { compileTemplate } from "../../collector/alerts/template.js";

const SHIPPED = path.resolve(import.meta.dirname, "../../alerts");

describe("alert rule files", () => {
  it("loads every shipped rule, covering what operators expect", () => {
    const r = loadRules([SHIPPED]);
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join("\n"));
    const names = r.rules.map((x) => x.name);
    for (const expected of [
      "NodeNotReporting", "NodeCpuHigh", "NodeMemoryHigh", "NodeDiskNearlyFull", "NodeDiskWillFill", "ContainerRestartLoop", "ContainerOomKilled",
      "ContainerUnhealthy", "ServiceReplicasMissing", "ManagerQuorumAtRisk", "ServiceUpdateStuck", "CheckFailing", "CertificateExpiring", "ErrorLogRateSpike",
    ])
      expect(names).toContain(expected);
  });

  it("names the file, the rule and the field of each problem, and reports them all", () => {
    const text = [
      "rules:",
      "  - name: Good",
      "    signal: node_reporting",
      '    condition: "== 0"',
      "    severity: critical",
      "  - name: BadThreshold",
      "    signal: node_cpu_utilization",
      '    condition: "above 85"',
      "    severity: warning",
      "  - name: BadFor",
      "    signal: node_cpu_utilization",
      '    condition: "> 1"',
      "    for: soon",
      "    severity: page",
      "  - signal: nope",
    ].join("\n");
    const r = parseRuleFile("x.yaml", text);
    expect(r.rules.map((x) => x.name)).toEqual(["Good"]);
    const lines = r.problems.map(formatProblem);
    expect(lines).toContainEqual(expect.stringMatching(/^x\.yaml: rule BadThreshold: condition: expected a comparison.*"above 85"/));
    expect(lines).toContainEqual(expect.stringMatching(/^x\.yaml: rule BadFor: for: for: expected a duration.*"soon"/));
    expect(lines).toContainEqual(expect.stringMatching(/^x\.yaml: rule BadFor: severity: .*"page"/));
    expect(lines).toContainEqual(expect.stringMatching(/^x\.yaml: rule #4: signal: .*"nope"/));
    expect(lines).toContainEqual(expect.stringMatching(/^x\.yaml: rule #4: name: Required/));
  });

  it("rejects unknown fields, rate on a gauge, and a template it cannot render", () => {
    const r = parseRuleFile(
      "y.yaml",
      [
        "rules:",
        "  - { name: A, signal: node_reporting, condition: '== 0', severity: info, pager: yes }",
        "  - { name: B, signal: node_cpu_utilization, aggregation: rate, condition: '> 1', severity: info }",
        "  - { name: C, signal: node_reporting, condition: '== 0', severity: info, annotations: { summary: '{{ $labels.node | upper }}' } }",
        "  - { name: D, signal: node_reporting, condition: '== 0', severity: info, match: ['node=~\"(\"'] }",
      ].join("\n"),
    );
    const lines = r.problems.map(formatProblem);
    expect(lines).toContainEqual(expect.stringMatching(/rule A: unknown field pager/));
    expect(lines).toContainEqual(expect.stringMatching(/rule B: aggregation: rate needs a counter/));
    expect(lines).toContainEqual(expect.stringMatching(/rule C: annotations\.summary: unknown template expression/));
    expect(lines).toContainEqual(expect.stringMatching(/rule D: match: matcher 1: .* is not a regular expression/));
  });

  it("refuses a rule name defined twice across files", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "vigie-rules-"));
    const rule = "rules:\n  - { name: Same, signal: node_reporting, condition: '== 0', severity: info }\n";
    writeFileSync(path.join(dir, "a.yaml"), rule);
    writeFileSync(path.join(dir, "b.yml"), rule);
    writeFileSync(path.join(dir, "notes.txt"), "ignored");
    const r = loadRules([dir]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map(formatProblem)).toEqual([`${path.join(dir, "b.yml")}: rule Same: name: already defined in ${path.join(dir, "a.yaml")}`]);
  });

  it("says when YAML itself is broken", () => {
    const r = parseRuleFile("z.yaml", "rules: [\n  - {");
    expect(r.problems[0]?.message).toMatch(/^not valid YAML/);
  });
});

describe("annotation templates", () => {
  it("renders labels and the value the way Prometheus does", () => {
    const t = compileTemplate('{{ $labels.node }} at {{ printf "%.1f" $value }}% ({{ humanize $value }}, {{ humanizeDuration $value }})');
    if (typeof t === "string") throw new Error(t);
    expect(t({ node: "n1" }, 93.456)).toBe("n1 at 93.5% (93.46, 1m 33s)");
    const p = compileTemplate("{{ humanizePercentage $value }} of {{ $labels.missing }}x");
    if (typeof p === "string") throw new Error(p);
    expect(p({}, 0.25)).toBe("25% of x");
  });
  it("refuses an unclosed expression", () => {
    expect(compileTemplate("{{ $value")).toMatch(/unclosed/);
  });
});
