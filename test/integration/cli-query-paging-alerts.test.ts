import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALERT_QUERIES } from "../../cli/alerts.js";
import type { QueryContext } from "../../cli/query.js";
import { runSilenceCommand } from "../../cli/silence.js";
import { AlertsSectionSchema, createAlerts, type Alerts } from "../../collector/alerts/index.js";
import { StaticSource } from "../../collector/alerts/source.js";
import { buildApi } from "../../collector/api/server.js";
import { testLog } from "../support/log.js";

/** More than one page of the API (1,000) of each. */
const ALERTS = 1_100;
const SILENCES = 1_050;

describe("vigie query alerts and vigie silence ls follow the API's pages", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "vigie-paging-alerts-"));
  const T0 = Date.parse("2026-01-01T00:00:00Z");
  let alerts: Alerts;
  let app: ReturnType<typeof buildApi>;
  let url = "";

  const run = async (fn: (ctx: QueryContext) => Promise<void>, options: Record<string, string> = {}) => {
    const out: string[] = [];
    const err: string[] = [];
    await fn({ apiUrl: url, json: true, out: (t) => out.push(t), err: (t) => err.push(t), options });
    return { items: JSON.parse(out.join("\n")) as { fingerprint?: string; id?: string }[], err };
  };

  beforeAll(async () => {
    const rules = path.join(dir, "rules.yaml");
    writeFileSync(rules, "rules:\n  - { name: Missing, signal: service_replicas_missing, condition: '> 0', severity: warning }\n");
    const source = new StaticSource({ service_replicas_missing: Array.from({ length: ALERTS }, (_, i) => ({ labels: { service: `s${i}`, stack: "shop" }, points: [[T0, 1]] as [number, number][] })) });
    alerts = createAlerts({ section: AlertsSectionSchema.parse({ shipped: false, dir: rules }), dataDir: dir, shippedDir: dir, source, log: testLog, externalUrl: "http://127.0.0.1:9480", now: () => T0 });
    alerts.engine.evaluate(T0);
    for (let i = 0; i < SILENCES; i++) {
      const s = alerts.silences.create({ matchers: [{ name: "service", op: "=", value: `s${i}` }], startsAt: T0, endsAt: T0 + 3_600_000, createdBy: "test", comment: "" });
      if (typeof s === "string") throw new Error(s);
    }
    app = buildApi({ routes: [alerts.routes] });
    url = await app.listen({ host: "127.0.0.1", port: 0 });
  });

  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("pages /api/v1/alerts and /api/v1/silences", async () => {
    const first = await app.inject({ url: "/api/v1/alerts?limit=1000" });
    expect(first.json<{ alerts: unknown[]; next: number | null }>()).toMatchObject({ next: 1000 });
    const last = await app.inject({ url: "/api/v1/silences?limit=1000&offset=1000" });
    expect(last.json<{ silences: unknown[]; next: number | null }>()).toMatchObject({ next: null });
    expect(last.json<{ silences: unknown[] }>().silences).toHaveLength(SILENCES - 1000);
  });

  it("prints every open alert, each once", async () => {
    const { items, err } = await run(ALERT_QUERIES.alerts!);
    expect(items).toHaveLength(ALERTS);
    expect(new Set(items.map((a) => a.fingerprint)).size).toBe(ALERTS);
    expect(err).toEqual([]);
  });

  it("prints every silence, each once", async () => {
    const { items } = await run((ctx) => runSilenceCommand(["ls"], ctx, {}));
    expect(items).toHaveLength(SILENCES);
    expect(new Set(items.map((s) => s.id)).size).toBe(SILENCES);
  });

  it("stops alerts at --limit and says so on stderr", async () => {
    const { items, err } = await run(ALERT_QUERIES.alerts!, { limit: "1010" });
    expect(items).toHaveLength(1010);
    expect(err.join("\n")).toMatch(/first 1010 alerts; the collector holds more/);
  });
});
