import { describe, expect, it } from "vitest";
import { AutoscaleSectionSchema, configuredPolicies } from "../../collector/autoscale/config.js";
import { parseMetric, parseTarget, policyFor } from "../../collector/autoscale/policy.js";

const labels = (l: Record<string, string>) => ({ "vigie.autoscale.enabled": "true", ...l });

describe("autoscale policy from labels", () => {
  it("is undefined for a service that has not opted in", () => {
    expect(policyFor("web", { "vigie.autoscale.max": "5" })).toBeUndefined();
    expect(policyFor("web", { "vigie.autoscale.enabled": "false", "vigie.autoscale.max": "5" })).toBeUndefined();
  });

  it("reads every label, with defaults for the optional ones", () => {
    const r = policyFor("web", labels({ "vigie.autoscale.max": "8" }));
    expect(r).toEqual({
      ok: true,
      policy: { service: "web", source: "labels", min: 1, max: 8, metric: { kind: "cpu" }, target: 0.7, targetUnit: "ratio", cooldownUpMs: 30_000, cooldownDownMs: 60_000, stabilizationMs: undefined },
    });
    const full = policyFor(
      "worker",
      labels({
        "vigie.autoscale.min": "0",
        "vigie.autoscale.max": "20",
        "vigie.autoscale.metric": "nats:ORDERS/workers",
        "vigie.autoscale.target": "100",
        "vigie.autoscale.cooldown.up": "10s",
        "vigie.autoscale.cooldown.down": "2m",
        "vigie.autoscale.stabilization": "1m",
      }),
    );
    expect(full?.ok && full.policy).toMatchObject({ min: 0, max: 20, metric: { kind: "nats", stream: "ORDERS", consumer: "workers" }, target: 100, targetUnit: "messages", cooldownUpMs: 10_000, cooldownDownMs: 120_000, stabilizationMs: 60_000 });
  });

  it("names the label and the value of every problem, and leaves the service alone", () => {
    const r = policyFor("web", labels({ "vigie.autoscale.max": "lots", "vigie.autoscale.target": "120 percent", "vigie.autoscale.cooldown.up": "soon", "vigie.autoscale.colldown": "1m" }));
    expect(r?.ok).toBe(false);
    if (r?.ok !== false) return;
    expect(r.problems.map((p) => p.where).sort()).toEqual(["vigie.autoscale.colldown", "vigie.autoscale.cooldown.up", "vigie.autoscale.max", "vigie.autoscale.target"]);
    expect(r.message).toContain('vigie.autoscale.max="lots"');
    expect(r.message).toContain('vigie.autoscale.target="120 percent"');
    expect(r.message).toContain("service web");
  });

  it("requires max, and min not above it", () => {
    const r = policyFor("web", labels({ "vigie.autoscale.min": "5", "vigie.autoscale.max": "3" }));
    expect(r?.ok === false && r.message).toContain('vigie.autoscale.min="5": is above vigie.autoscale.max (3)');
    const none = policyFor("web", labels({}));
    expect(none?.ok === false && none.message).toContain("vigie.autoscale.max is required");
  });

  it("refuses min 0 unless the metric is a queue", () => {
    const r = policyFor("web", labels({ "vigie.autoscale.min": "0", "vigie.autoscale.max": "3" }));
    expect(r?.ok).toBe(false);
  });

  it("reports an enabled label that is neither true nor false", () => {
    const r = policyFor("web", { "vigie.autoscale.enabled": "yes", "vigie.autoscale.max": "3" });
    expect(r?.ok === false && r.problems[0]).toMatchObject({ where: "vigie.autoscale.enabled", value: "yes" });
  });

  it("requires a target for check and queue metrics", () => {
    const r = policyFor("web", labels({ "vigie.autoscale.max": "3", "vigie.autoscale.metric": "check:queue.depth" }));
    expect(r?.ok === false && r.message).toContain("vigie.autoscale.target is required");
  });

  it("takes the configuration file's policy, labels winning key by key", () => {
    const section = AutoscaleSectionSchema.parse({ policies: [{ service: "web", max: 6, target: "50%", cooldownDown: "3m" }] });
    const configured = configuredPolicies(section).get("web");
    const r = policyFor("web", labels({ "vigie.autoscale.max": "9" }), configured);
    expect(r?.ok && r.policy).toMatchObject({ source: "labels+config", max: 9, target: 0.5, cooldownDownMs: 180_000 });
    const only = policyFor("web", labels({}), configured);
    expect(only?.ok && only.policy).toMatchObject({ source: "config", max: 6 });
  });
});

describe("autoscale metric and target", () => {
  it("parses metrics and rejects the rest with a reason", () => {
    expect(parseMetric("check:details.workers[0].load")).toEqual({ kind: "check", path: "details.workers[0].load" });
    expect(parseMetric("nats:S/c/x")).toContain("nats:<stream>/<consumer>");
    expect(parseMetric("check:")).toContain("check:<path>");
    expect(parseMetric("disk")).toContain("expected cpu, memory");
  });

  it("reads shares, sizes and plain numbers", () => {
    expect(parseTarget({ kind: "cpu" }, "70%")).toEqual({ target: 0.7, unit: "ratio" });
    expect(parseTarget({ kind: "cpu" }, "1.5")).toEqual({ target: 1.5, unit: "ratio" });
    expect(parseTarget({ kind: "memory" }, "256MiB")).toEqual({ target: 256 * 1024 ** 2, unit: "bytes" });
    expect(typeof parseTarget({ kind: "cpu" }, "256MiB")).toBe("string");
    expect(typeof parseTarget({ kind: "cpu" }, "0%")).toBe("string");
    expect(parseTarget({ kind: "nats", stream: "s", consumer: "c" }, "50")).toEqual({ target: 50, unit: "messages" });
    expect(typeof parseTarget({ kind: "check", path: "x" }, "-1")).toBe("string");
  });
});

describe("autoscale configuration section", () => {
  it("has documented defaults", () => {
    expect(AutoscaleSectionSchema.parse({})).toMatchObject({ enabled: true, dryRun: false, interval: 15_000, tolerance: 0.1, stabilizationWindow: 300_000, leaseTtl: 30_000, policies: [] });
  });

  it("names the path of a bad policy key", () => {
    const r = AutoscaleSectionSchema.safeParse({ policies: [{ service: "web", max: "x" }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(["policies", 0, "max"]);
  });

  it("rejects unknown keys and duplicate services", () => {
    expect(AutoscaleSectionSchema.safeParse({ policies: [{ service: "web", max: 2, maxx: 3 }] }).success).toBe(false);
    const dup = AutoscaleSectionSchema.safeParse({ policies: [{ service: "web", max: 2 }, { service: "web", max: 3 }] });
    expect(dup.error?.issues[0]?.message).toContain("duplicate policy");
  });

  it("takes policies as a JSON array from the environment", () => {
    expect(AutoscaleSectionSchema.parse({ policies: '[{"service":"web","max":4}]' }).policies[0]?.max).toBe("4");
  });
});
