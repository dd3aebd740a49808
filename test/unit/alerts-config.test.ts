import { describe, expect, it } from "vitest";
import { configKeys, loadConfig } from "../../cli/config/load.js";
import { AlertsSectionSchema, alertsSectionProblems } from "../../collector/alerts/config.js";

describe("alerts configuration", () => {
  it("maps VIGIE_ALERTS_DIR and VIGIE_ALERTS_WEBHOOK onto alerts.dir and alerts.webhook", () => {
    const c = loadConfig({ env: { VIGIE_ALERTS_DIR: "/etc/vigie/alerts", VIGIE_ALERTS_WEBHOOK: "http://127.0.0.1:9000/hook", VIGIE_ALERTS_EVALUATION_INTERVAL: "30s" } });
    expect([c.alerts.dir, c.alerts.webhook, c.alerts.evaluationInterval, c.alerts.shipped]).toEqual(["/etc/vigie/alerts", "http://127.0.0.1:9000/hook", 30_000, true]);
    expect(configKeys().map((k) => k.env)).toEqual(expect.arrayContaining(["VIGIE_ALERTS_DIR", "VIGIE_ALERTS_WEBHOOK", "VIGIE_ALERTS_EVALUATION_INTERVAL"]));
  });

  it("names the key and value of a bad webhook URL or a route to an unknown receiver", () => {
    // The webhook URL is a secret (it often carries a key): named, never echoed.
    expect(() => loadConfig({ env: { VIGIE_ALERTS_WEBHOOK: "ftp://x" } })).toThrow(/VIGIE_ALERTS_WEBHOOK: alerts\.webhook = "<redacted>": expected an http\(s\) URL/);
    const section = AlertsSectionSchema.parse({ route: { receiver: "pager", groupWait: "soon" } });
    expect(alertsSectionProblems(section)).toEqual(['alerts.route.receiver = "pager": no receiver named pager', 'alerts.route.groupWait = "soon": expected a duration such as 30s, 5m or 4h']);
  });
});
