import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../cli/config/load.js";
import { collectorOptions } from "../../cli/options.js";
import { collectorAlerts, SHIPPED_ALERTS_DIR, type CollectorAlerts } from "../../collector/alerts/collector-alerts.js";
import { openModel, type ClusterModel } from "../../collector/model/index.js";
import { testLog } from "../support/log.js";
import { metricsEnv, T0 } from "../support/model-envelopes.js";

const rule = (name: string) => `rules:
  - name: ${name}
    signal: node_reporting
    scope: node
    condition: "== 0"
    severity: critical
    annotations:
      summary: "Node {{ $labels.node }} is not reporting"
`;

describe("alerts in the collector, from the configuration", () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanup.splice(0).reverse()) await c();
  });

  async function webhook(): Promise<{ url: string; bodies: { status: string; alerts: { labels: Record<string, string>; status: string }[] }[] }> {
    const bodies: { status: string; alerts: { labels: Record<string, string>; status: string }[] }[] = [];
    const server: Server = createServer((req, res) => {
      let text = "";
      req.on("data", (d: Buffer) => (text += d.toString()));
      req.on("end", () => {
        bodies.push(JSON.parse(text) as (typeof bodies)[number]);
        res.end("ok");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies };
  }

  function setup(env: Record<string, string>): { model: ClusterModel; alerts: CollectorAlerts; dir: string } {
    const dir = mkdtempSync(path.join(os.tmpdir(), "vigie-alerts-"));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(path.join(dir, "data", "collector"), { recursive: true });
    mkdirSync(path.join(dir, "rules"));
    writeFileSync(path.join(dir, "rules", "mine.yaml"), rule("MineNotReporting"));
    const options = collectorOptions(loadConfig({ env: { VIGIE_ALERTS_DIR: path.join(dir, "rules"), VIGIE_DATA_DIR: path.join(dir, "data"), ...env } }), testLog);
    expect(options.alerts?.section.dir).toBe(path.join(dir, "rules"));
    const model = openModel({ now: () => T0 });
    cleanup.push(() => model.close(T0));
    const alerts = collectorAlerts(model, { ...(options.alerts as NonNullable<typeof options.alerts>), dataDir: options.dataDir, listen: "127.0.0.1:9480", log: testLog, now: () => T0 });
    cleanup.push(() => alerts.stop());
    return { model, alerts, dir };
  }

  it("loads the shipped rules and VIGIE_ALERTS_DIR, and sends what fires to VIGIE_ALERTS_WEBHOOK", async () => {
    const hook = await webhook();
    const { model, alerts } = setup({ VIGIE_ALERTS_WEBHOOK: hook.url });
    const names = alerts.alerts.engine.listRules().map((r) => r.name);
    expect(names).toEqual(expect.arrayContaining(["NodeNotReporting", "ContainerRestartLoop", "MineNotReporting"]));
    model.apply(metricsEnv("n1", T0), T0);
    alerts.alerts.engine.evaluate(T0 + 60_000);
    // The default route waits group_wait (30 s) before the first notification of a group.
    await alerts.alerts.notifier.tick(T0 + 60_000 + 30_000);
    const mine = hook.bodies.flatMap((b) => b.alerts).filter((a) => a.labels.alertname === "MineNotReporting");
    expect(mine).toEqual([expect.objectContaining({ status: "firing", labels: expect.objectContaining({ node: "n1-host", severity: "critical" }) })]);
  });

  it("reads the rules again on SIGHUP, and keeps them when the file turned bad", async () => {
    const { alerts, dir } = setup({ VIGIE_ALERTS_SHIPPED: "false" });
    alerts.start(new Registry());
    expect(alerts.alerts.engine.listRules().map((r) => r.name)).toEqual(["MineNotReporting"]);
    writeFileSync(path.join(dir, "rules", "mine.yaml"), rule("Renamed"));
    process.emit("SIGHUP", "SIGHUP");
    expect(alerts.alerts.engine.listRules().map((r) => r.name)).toEqual(["Renamed"]);
    writeFileSync(path.join(dir, "rules", "mine.yaml"), "rules:\n  - name: Broken\n    signal: nothing\n");
    process.emit("SIGHUP", "SIGHUP");
    expect(alerts.alerts.engine.listRules().map((r) => r.name)).toEqual(["Renamed"]);
    await alerts.stop();
    const before = process.listenerCount("SIGHUP");
    writeFileSync(path.join(dir, "rules", "mine.yaml"), rule("AfterStop"));
    process.emit("SIGHUP", "SIGHUP");
    expect(alerts.alerts.engine.listRules().map((r) => r.name)).toEqual(["Renamed"]);
    expect(process.listenerCount("SIGHUP")).toBe(before);
  });

  it("waits VIGIE_ALERTS_WARMUP before the first evaluation (30 s unless set)", () => {
    expect(collectorOptions(loadConfig({ env: {} }), testLog).alerts?.section.warmup).toBe(30_000);
    expect(collectorOptions(loadConfig({ env: { VIGIE_ALERTS_WARMUP: "5s" } }), testLog).alerts?.section.warmup).toBe(5_000);
  });

  it("finds the shipped rules from the sources", () => {
    expect(SHIPPED_ALERTS_DIR).toBe(path.resolve(import.meta.dirname, "../../alerts"));
  });
});
