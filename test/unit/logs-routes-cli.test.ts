import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApi } from "../../collector/api/server.js";
import { LogStore, logRoutes } from "../../collector/logs/index.js";
import { formatLine, queryLogs } from "../../cli/logs.js";
import { QUERIES } from "../../cli/query.js";
import type { EnvelopeOf, LogRecord } from "../../protocol/index.js";

const T0 = 1_764_000_000_000;

function rec(offsetMs: number, body: LogRecord["body"], severityNumber: number, service = "api"): LogRecord {
  return { timeUnixNano: `${T0 + offsetMs}000000`, severityNumber, body, resource: { "service.name": service, "service.namespace": "shop", "docker.swarm.service.name": `shop_${service}`, "container.name": `shop_${service}.1.q` } };
}
function env(seq: number, records: LogRecord[]): EnvelopeOf<"logs"> {
  return { schema: "vigie.v1", kind: "logs", node: { id: "n1", hostname: "worker-1" }, agent: { version: "t", bootId: "b", seq }, time: T0, payload: { records } };
}

describe("vigie query logs", () => {
  const store = new LogStore(":memory:");
  const app = buildApi({ routes: [logRoutes({ store, now: () => T0 + 600_000 })] });
  let url = "";
  beforeAll(async () => {
    store.append(env(1, [rec(0, "started", 9), rec(1000, "db down\n  at connect (db.js:1)", 17), rec(2000, { msg: "retrying", attempt: 2 }, 13), rec(3000, "web line", 17, "web")]), T0);
    url = await app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await app.close();
    store.close();
  });

  it("prints time, node, service, severity and message, oldest first, for --service --since --level", async () => {
    const lines: string[] = [];
    await QUERIES.logs!({ apiUrl: url, json: false, out: (t) => lines.push(t), options: { service: "api", since: "10m", level: "warn" } });
    expect(lines).toEqual([
      `${new Date(T0 + 1000).toISOString()}  worker-1  shop_api  ERROR  db down\n      at connect (db.js:1)`,
      `${new Date(T0 + 2000).toISOString()}  worker-1  shop_api  WARN   retrying`,
    ]);
  });

  it("prints the records as JSON lines with --json", async () => {
    const lines: string[] = [];
    await queryLogs({ apiUrl: url, json: true, out: (t) => lines.push(t), options: { level: "error" } });
    expect(lines.map((l) => (JSON.parse(l) as { body: string }).body)).toEqual(["db down\n  at connect (db.js:1)", "web line"]);
  });

  it("keeps printing new lines with --follow until stopped", async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    const following = queryLogs({ apiUrl: url, json: false, out: (t) => lines.push(t), options: { service: "web", follow: true }, signal: stop.signal, intervalMs: 20 });
    await until(() => lines.length === 1);
    store.append(env(2, [rec(4000, "web again", 9, "web"), rec(5000, "api again", 9, "api")]), T0);
    await until(() => lines.length === 2);
    stop.abort();
    await following;
    expect(lines[1]).toContain("web again");
    expect(lines.join("\n")).not.toContain("api again");
  });

  it("never sends a record's terminal escapes to the terminal", () => {
    const line = formatLine({ time: "t", node: "n", service: "s", swarmService: null, container: null, severity: "INFO", body: "\u001b[2Jgone\u0007" });
    expect(line).toBe("t  n  s  INFO   \\x1b[2Jgone\\x07");
  });
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(cond()).toBe(true);
}
