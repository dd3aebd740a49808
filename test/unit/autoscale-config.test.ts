import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { configKeys, loadConfig } from "../../cli/config/load.js";
import { collectorOptions } from "../../cli/options.js";
import { testLog } from "../support/log.js";

describe("autoscale configuration section", () => {
  it("is on by default with the documented settings, and reaches the collector's options", () => {
    const config = loadConfig({ env: {} });
    expect(config.autoscale).toMatchObject({ enabled: true, dryRun: false, interval: 15_000, tolerance: 0.1, stabilizationWindow: 300_000, leaseTtl: 30_000, leaseBucket: "vigie_autoscale", policies: [] });
    expect(collectorOptions(config, testLog).autoscale).toBe(config.autoscale);
    expect(configKeys().map((k) => k.env)).toEqual(expect.arrayContaining(["VIGIE_AUTOSCALE_ENABLED", "VIGIE_AUTOSCALE_DRY_RUN", "VIGIE_AUTOSCALE_INTERVAL", "VIGIE_AUTOSCALE_POLICIES"]));
  });

  it("takes its keys from the environment, policies as a JSON array", () => {
    const config = loadConfig({ env: { VIGIE_AUTOSCALE_DRY_RUN: "true", VIGIE_AUTOSCALE_INTERVAL: "5s", VIGIE_AUTOSCALE_POLICIES: '[{"service":"shop_worker","max":4,"metric":"nats:JOBS/workers","target":100}]' } });
    expect(config.autoscale).toMatchObject({ dryRun: true, interval: 5_000, policies: [{ service: "shop_worker", max: "4", metric: "nats:JOBS/workers", target: "100" }] });
  });

  it("stops start-up naming the key and the value at fault", () => {
    expect(() => loadConfig({ env: { VIGIE_AUTOSCALE_TOLERANCE: "2" } })).toThrow(/VIGIE_AUTOSCALE_TOLERANCE: autoscale\.tolerance = "2"/);
    const dir = mkdtempSync(path.join(tmpdir(), "vigie-autoscale-config-"));
    try {
      const file = path.join(dir, "vigie.yml");
      writeFileSync(file, "autoscale:\n  policies:\n    - { service: shop_worker, max: lots }\n");
      expect(() => loadConfig({ file, env: {} })).toThrow(/vigie\.yml: autoscale\.policies\.0\.max = "lots": expected a whole number of replicas/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // From the environment the key and the reason are named (the value sits inside the JSON text).
    expect(() => loadConfig({ env: { VIGIE_AUTOSCALE_POLICIES: '[{"service":"shop_worker","max":"lots"}]' } })).toThrow(/autoscale\.policies\.0\.max = .*expected a whole number of replicas/);
  });
});
