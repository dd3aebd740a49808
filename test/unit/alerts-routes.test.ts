import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildApi } from "../../collector/api/server.js";
import { TokenRegistry } from "../../collector/auth/tokens.js";
import { AlertsSectionSchema, createAlerts } from "../../collector/alerts/index.js";
import { StaticSource } from "../../collector/alerts/source.js";
import { testLog } from "../support/log.js";

const dir = mkdtempSync(path.join(tmpdir(), "vigie-alert-routes-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const rules = path.join(dir, "rules.yaml");
writeFileSync(rules, "rules:\n  - { name: Short, signal: service_replicas_missing, condition: '> 0', severity: warning }\n");

const T0 = Date.parse("2026-01-01T00:00:00Z");
let now = T0;
const source = new StaticSource({
  service_replicas_missing: [
    { labels: { service: "web", stack: "shop" }, points: [[T0, 1]] },
    { labels: { service: "db", stack: "bank" }, points: [[T0, 2]] },
  ],
});
const alerts = createAlerts({ section: AlertsSectionSchema.parse({ shipped: false, dir: rules }), dataDir: dir, shippedDir: dir, source, log: testLog, externalUrl: "http://127.0.0.1:9480", now: () => now });
alerts.engine.evaluate(T0);
const ADMIN = "admin-token-0123456789";
const SHOP = "shop-token-0123456789";
const app = buildApi({
  routes: [alerts.routes],
  tokens: new TokenRegistry([{ token: ADMIN, scope: "admin" }, { token: SHOP, scope: "admin", stacks: ["shop"], name: "shop-ops" }]),
});
const auth = (t: string) => ({ authorization: `Bearer ${t}` });

describe("alert API", () => {
  it("lists open alerts with state and since when; a stack-limited token sees its stack only", async () => {
    const all = (await app.inject({ url: "/api/v1/alerts", headers: auth(ADMIN) })).json<{ alerts: { labels: { stack: string }; state: string; firingSince: string }[] }>();
    expect(all.alerts.map((a) => [a.labels.stack, a.state, a.firingSince]).sort()).toEqual([["bank", "firing", "2026-01-01T00:00:00.000Z"], ["shop", "firing", "2026-01-01T00:00:00.000Z"]]);
    const shop = (await app.inject({ url: "/api/v1/alerts", headers: auth(SHOP) })).json<{ alerts: { labels: { stack: string } }[] }>();
    expect(shop.alerts.map((a) => a.labels.stack)).toEqual(["shop"]);
    const hist = (await app.inject({ url: "/api/v1/alerts/history", headers: auth(SHOP) })).json<{ history: { to: string; labels: { stack: string } }[] }>();
    expect(hist.history.map((h) => [h.to, h.labels.stack])).toEqual([["firing", "shop"]]);
  });

  it("creates, lists and expires silences; a stack-limited token must pin its stack", async () => {
    const denied = await app.inject({ method: "POST", url: "/api/v1/silences", headers: auth(SHOP), payload: { matchers: [{ name: "alertname", op: "=", value: "Short" }], duration: "1h" } });
    expect(denied.statusCode).toBe(403);
    const created = await app.inject({ method: "POST", url: "/api/v1/silences", headers: auth(SHOP), payload: { matchers: [{ name: "stack", op: "=", value: "shop" }], duration: "1h", comment: "deploy" } });
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;
    const everything = await app.inject({ method: "POST", url: "/api/v1/silences", headers: auth(ADMIN), payload: { matchers: [{ name: "alertname", op: "=~", value: ".*" }], duration: "1h" } });
    expect(everything.json<{ error: { message: string } }>().error.message).toMatch(/would silence every alert/);
    const listed = (await app.inject({ url: "/api/v1/alerts", headers: auth(SHOP) })).json<{ alerts: { silencedBy: string[] }[] }>();
    expect(listed.alerts[0]?.silencedBy).toEqual([id]);
    now += 60_000;
    const expired = await app.inject({ method: "DELETE", url: `/api/v1/silences/${id}`, headers: auth(SHOP) });
    expect(expired.json<{ state: string }>().state).toBe("expired");
    const bankView = (await app.inject({ url: "/api/v1/silences", headers: auth(ADMIN) })).json<{ silences: unknown[] }>();
    expect(bankView.silences).toHaveLength(1);
  });

  it("reload keeps the previous rules when a file is bad, and says why", async () => {
    writeFileSync(rules, "rules:\n  - { name: Short, signal: service_replicas_missing, condition: 'more than 0', severity: warning }\n");
    const bad = await app.inject({ method: "POST", url: "/api/v1/alerts/reload", headers: auth(ADMIN) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ problems: string[] }>().problems[0]).toMatch(/rules\.yaml: rule Short: condition: expected a comparison/);
    expect(alerts.engine.listRules().map((r) => r.condition?.op)).toEqual([">"]);
    writeFileSync(rules, "rules:\n  - { name: Short, signal: service_replicas_missing, condition: '>= 2', severity: warning }\n");
    const good = await app.inject({ method: "POST", url: "/api/v1/alerts/reload", headers: auth(ADMIN) });
    expect(good.json()).toEqual({ rules: 1 });
    const read = await app.inject({ method: "POST", url: "/api/v1/alerts/reload", headers: auth(SHOP.replace("shop", "none")) });
    expect(read.statusCode).toBe(401);
  });
});
