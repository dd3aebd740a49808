import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LOG_SCHEMA_SQL } from "../../collector/logs/schema.js";
import { LogStore, logRetentionLoop, type LogStoreOptions } from "../../collector/logs/index.js";
import { createLogger } from "../../lib/index.js";
import type { EnvelopeOf, LogRecord } from "../../protocol/index.js";

const T0 = 1_764_000_000_000;
const ns = (ms: number, extra = 0) => `${ms}${String(extra).padStart(6, "0")}`;

function resource(stack: string, service: string, slot = 1): LogRecord["resource"] {
  return {
    "container.id": `${stack}${service}`.padEnd(64, "0").slice(0, 64).replace(/[^0-9a-f]/g, "a"),
    "container.name": `${stack}_${service}.${slot}.x${slot}`,
    "service.name": service,
    "service.namespace": stack,
    "docker.swarm.service.name": `${stack}_${service}`,
    "docker.swarm.task.slot": slot,
  };
}

function rec(time: number, body: LogRecord["body"], severityNumber = 9, res = resource("shop", "web"), more: Partial<LogRecord> = {}): LogRecord {
  return { timeUnixNano: ns(time), severityNumber, body, resource: res, ...more };
}

let seq = 0;
function env(records: LogRecord[], node = { id: "n1", hostname: "worker-1" }, s = ++seq): EnvelopeOf<"logs"> {
  return { schema: "vigie.v1", kind: "logs", node, agent: { version: "t", bootId: "boot", seq: s }, time: T0, payload: { records } };
}

describe("LogStore", () => {
  let dir: string;
  let store: LogStore;
  const open = (o: LogStoreOptions = {}) => (store = new LogStore(path.join(dir, "logs.db"), o));
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "vigie-logs-"));
    open();
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("returns records newest first with their source, severity and exact nanosecond time", () => {
    store.append(env([rec(T0, "first"), { ...rec(T0 + 1000, "second", 17), timeUnixNano: ns(T0 + 1000, 123_456), severityText: "err" }]), T0 + 2000);
    const page = store.query({ limit: 10 });
    expect(page.records.map((r) => r.body)).toEqual(["second", "first"]);
    expect(page.records[0]).toMatchObject({
      timeUnixNano: ns(T0 + 1000, 123_456), time: new Date(T0 + 1000).toISOString(), node: "worker-1", nodeId: "n1", stack: "shop", service: "web",
      swarmService: "shop_web", container: "shop_web.1.x1", severityNumber: 17, severity: "ERROR", severityText: "err",
    });
    expect(page.records[0]!.resource["docker.swarm.task.slot"]).toBe(1);
  });

  it("stores a redelivered message once", () => {
    const e = env([rec(T0, "once")]);
    expect(store.append(e, T0).fresh).toBe(true);
    expect(store.append(e, T0 + 5).fresh).toBe(false);
    expect(store.query({ limit: 10 }).records).toHaveLength(1);
    expect(store.stats()).toMatchObject({ records: 1, duplicates: 1 });
  });

  it("stores a record read again and sent in a new message once, by its uid within its source", () => {
    const uid = (u: string) => ({ attributes: { "log.record.uid": u, "log.iostream": "stdout" } });
    const first = store.append(env([rec(T0, "line 1", 9, undefined, uid("c1-f1-0-x")), rec(T0 + 1, "line 2", 9, undefined, uid("c1-f1-20-y"))]), T0);
    expect(first).toMatchObject({ fresh: true, stored: 2, repeated: 0 });
    // Killed after the spool took both, before the position moved: both read again, with the next line.
    const again = store.append(env([rec(T0, "line 1", 9, undefined, uid("c1-f1-0-x")), rec(T0 + 1, "line 2", 9, undefined, uid("c1-f1-20-y")), rec(T0 + 2, "line 3", 9, undefined, uid("c1-f1-40-z"))]), T0 + 5);
    expect(again).toMatchObject({ fresh: true, stored: 1, repeated: 2 });
    // The same uid from another container (another source) is another record; records without one are all kept.
    store.append(env([rec(T0 + 3, "other container", 9, resource("shop", "api"), uid("c1-f1-0-x")), rec(T0 + 4, "no uid"), rec(T0 + 4, "no uid")]), T0 + 6);
    const records = store.query({ limit: 10 }).records;
    expect(records.map((r) => r.body)).toEqual(["no uid", "no uid", "other container", "line 3", "line 2", "line 1"]);
    expect(records.find((r) => r.body === "line 1")?.attributes).toEqual({ "log.iostream": "stdout", "log.record.uid": "c1-f1-0-x" });
    expect(store.query({ limit: 10, match: "line" }).records).toHaveLength(3);
    expect(store.counts().reduce((n, c) => n + c.total, 0)).toBe(6);
    expect(store.stats()).toMatchObject({ records: 6, repeatedRecords: 2, duplicates: 0 });
  });

  it("takes no hostile uid as an identity: too long or with control characters, it stays an ordinary attribute", () => {
    const bad = ["x".repeat(129), "a\nb", ""];
    store.append(env(bad.map((u, i) => rec(T0 + i, `bad ${i}`, 9, undefined, { attributes: { "log.record.uid": u } }))), T0);
    store.append(env(bad.map((u, i) => rec(T0 + i, `bad ${i}`, 9, undefined, { attributes: { "log.record.uid": u } }))), T0);
    expect(store.query({ limit: 10 }).records).toHaveLength(6);
    expect(store.stats().repeatedRecords).toBe(0);
  });

  it("gives a database made before record uids its uid column and index, and keeps its records", () => {
    store.close();
    const file = path.join(dir, "old.db");
    const old = new Database(file);
    old.exec(LOG_SCHEMA_SQL.replace(",\n  uid TEXT\n", "\n"));
    old.prepare("INSERT INTO log_services (id, stack, service, swarm_service) VALUES (1, 'shop', 'web', 'shop_web')").run();
    old.prepare("INSERT INTO log_sources (id, key, node_id, host, service, container, container_id, resource) VALUES (1, 'k', 'n1', 'worker-1', 1, 'c', 'id', '{}')").run();
    old.prepare("INSERT INTO log_records (time, time_ns, received, source, service, sev, body, structured) VALUES (?, 0, ?, 1, 1, 9, 'from before', 0)").run(T0, T0);
    old.close();
    store = new LogStore(file);
    store.append(env([rec(T0 + 1, "with uid", 9, undefined, { attributes: { "log.record.uid": "u1" } })]), T0 + 2);
    store.append(env([rec(T0 + 1, "with uid", 9, undefined, { attributes: { "log.record.uid": "u1" } })]), T0 + 3);
    expect(store.query({ limit: 10 }).records.map((r) => r.body)).toEqual(["with uid", "from before"]);
  });

  it("filters by service (short or Swarm name), stack, node, container and minimum severity", () => {
    store.append(env([rec(T0, "web info"), rec(T0 + 1, "web error", 17), rec(T0 + 2, "api warn", 13, resource("shop", "api")), rec(T0 + 3, "blog error", 18, resource("blog", "web", 2))]), T0);
    store.append(env([rec(T0 + 4, "web on node 2", 21)], { id: "n2", hostname: "worker-2" }), T0);
    const bodies = (f: Parameters<LogStore["query"]>[0]) => store.query(f).records.map((r) => r.body);
    expect(bodies({ service: "web", limit: 10 })).toEqual(["web on node 2", "blog error", "web error", "web info"]);
    expect(bodies({ service: "shop_web", limit: 10 })).toEqual(["web on node 2", "web error", "web info"]);
    expect(bodies({ service: "web", stack: "blog", limit: 10 })).toEqual(["blog error"]);
    expect(bodies({ minSeverity: 17, limit: 10 })).toEqual(["web on node 2", "blog error", "web error"]);
    expect(bodies({ minSeverity: 13, service: "api", limit: 10 })).toEqual(["api warn"]);
    expect(bodies({ node: "worker-2", limit: 10 })).toEqual(["web on node 2"]);
    expect(bodies({ node: "n1", container: "blog_web.2.x2", limit: 10 })).toEqual(["blog error"]);
    expect(bodies({ service: "nope", limit: 10 })).toEqual([]);
  });

  it("filters by time range, inclusive", () => {
    store.append(env([0, 1, 2, 3, 4].map((i) => rec(T0 + i * 1000, `t${i}`))), T0 + 5000);
    expect(store.query({ since: T0 + 1000, until: T0 + 3000, limit: 10 }).records.map((r) => r.body)).toEqual(["t3", "t2", "t1"]);
  });

  it("finds words with the full-text index, in structured bodies too", () => {
    store.append(env([rec(T0, "connection refused to db:5432"), rec(T0 + 1, { msg: "payment declined", code: 402 }), rec(T0 + 2, "all good")]), T0);
    expect(store.query({ match: '"refused" "db"', limit: 10 }).records.map((r) => r.body)).toEqual(["connection refused to db:5432"]);
    const structured = store.query({ match: '"declined"', limit: 10 }).records;
    expect(structured[0]!.body).toEqual({ msg: "payment declined", code: 402 });
    expect(store.query({ match: '"conn"*', limit: 10 }).records).toHaveLength(1);
  });

  it("pages through older records with a cursor, equal times included, without repeats or gaps", () => {
    store.append(env(Array.from({ length: 25 }, (_, i) => rec(T0 + Math.floor(i / 3), `r${i}`))), T0);
    const seen: unknown[] = [];
    let cursor: ReturnType<LogStore["query"]>["next"];
    for (let pages = 0; pages < 10; pages++) {
      const page = store.query({ service: "web", limit: 4, cursor });
      seen.push(...page.records.map((r) => r.body));
      cursor = page.next;
      if (!cursor) break;
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(seen[0]).toBe("r24");
  });

  it("returns records stored after a tail cursor, oldest first, and moves the tail past non-matching ones", () => {
    store.append(env([rec(T0, "before")]), T0);
    const { tail } = store.query({ service: "web", limit: 10 });
    store.append(env([rec(T0 + 1, "a"), rec(T0 + 2, "noise", 9, resource("shop", "api")), rec(T0 + 3, "b")]), T0);
    const next = store.query({ service: "web", after: tail, limit: 10 });
    expect(next.records.map((r) => r.body)).toEqual(["a", "b"]);
    store.append(env([rec(T0 + 4, "only api", 9, resource("shop", "api"))]), T0);
    const quiet = store.query({ service: "web", after: next.tail, limit: 10 });
    expect(quiet.records).toEqual([]);
    expect(quiet.tail).toBeGreaterThan(next.tail);
  });

  it("never shows a stack-limited asker another stack's records, nor records of no stack", () => {
    store.append(env([rec(T0, "shop line"), rec(T0 + 1, "blog line", 9, resource("blog", "web")), rec(T0 + 2, "plain", 9, { "container.name": "loner" })]), T0);
    const shop = new Set(["shop"]);
    expect(store.query({ stacks: shop, limit: 10 }).records.map((r) => r.body)).toEqual(["shop line"]);
    expect(store.query({ stacks: shop, stack: "blog", limit: 10 }).records).toEqual([]);
    expect(store.query({ stacks: shop, service: "web", limit: 10 }).records.map((r) => r.body)).toEqual(["shop line"]);
    expect(store.query({ stacks: shop, after: 0, limit: 10 }).records.map((r) => r.body)).toEqual(["shop line"]);
    expect(store.query({ stacks: shop, match: '"line"', limit: 10 }).records.map((r) => r.body)).toEqual(["shop line"]);
  });

  it("bounds hostile records: long bodies cut and flagged, attribute floods dropped, far-future times replaced, expired refused", () => {
    const attrs = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, "v".repeat(100)]));
    const out = store.append(
      env([
        rec(T0, "x".repeat(100_000)),
        rec(T0 + 1, "many attributes", 9, undefined, { attributes: attrs }),
        rec(T0 + 10 * 365 * 86_400_000, "from the future"),
        rec(T0 - 30 * 86_400_000, "too old"),
        rec(T0 + 2, "bad ids", 9, undefined, { traceId: "zz", spanId: "<script>" }),
      ]),
      T0 + 10,
    );
    expect(out).toMatchObject({ stored: 4, expired: 1 });
    const all = store.query({ limit: 10 }).records;
    const long = all.find((r) => typeof r.body === "string" && r.body.startsWith("xxx"))!;
    expect((long.body as string).length).toBe(65_536);
    expect(long.attributes).toMatchObject({ "log.truncated": true, "log.original_length": 100_000 });
    const many = all.find((r) => r.body === "many attributes")!;
    expect(JSON.stringify(many.attributes).length).toBeLessThan(20_000);
    expect(many.attributes!["vigie.attributes_dropped"]).toBeGreaterThan(0);
    const future = all.find((r) => r.body === "from the future")!;
    expect(future.time).toBe(new Date(T0 + 10).toISOString());
    expect(future.attributes!["vigie.original_time_unix_nano"]).toBe(ns(T0 + 10 * 365 * 86_400_000));
    const bad = all.find((r) => r.body === "bad ids")!;
    expect(bad.traceId).toBeUndefined();
    expect(bad.spanId).toBeUndefined();
  });

  it("uses the observed time when the source time is 0, and keeps control characters and a lone surrogate as text (U+FFFD)", () => {
    store.append(env([{ ...rec(0, "no time\u0000\u001b[31m\ud800"), timeUnixNano: "0", observedTimeUnixNano: ns(T0 + 7) }]), T0 + 10);
    const [r] = store.query({ limit: 1 }).records;
    expect(r!.timeUnixNano).toBe(ns(T0 + 7));
    expect(r!.body).toBe("no time\u0000\u001b[31m\ufffd");
  });

  it("removes records older than the retention", () => {
    store.close();
    open({ retentionMs: 60_000 });
    store.append(env([rec(T0, "old"), rec(T0 + 50_000, "recent")]), T0 + 50_000);
    const out = store.maintain(T0 + 70_000);
    expect(out).toMatchObject({ deletedByAge: 1, deletedBySize: 0, more: false });
    expect(store.query({ limit: 10 }).records.map((r) => r.body)).toEqual(["recent"]);
    expect(store.query({ match: '"old"', limit: 10 }).records).toEqual([]);
    expect(store.stats()).toMatchObject({ records: 1, deletedByAge: 1 });
  });

  it("removes the oldest records until the database is within its size, and the file shrinks", () => {
    for (let i = 0; i < 40; i++) store.append(env(Array.from({ length: 100 }, (_, j) => rec(T0 + i * 100 + j, `line ${i} ${j} ${"lorem ipsum ".repeat(20)}`))), T0 + 5000);
    const file = path.join(dir, "logs.db");
    store.close();
    open({ maxBytes: 256 * 1024 });
    const before = store.stats();
    expect(before.bytes).toBeGreaterThan(1024 * 1024);
    let rounds = 0;
    while (store.maintain(T0 + 5000).more && rounds++ < 50);
    const after = store.stats();
    expect(after.bytes).toBeLessThanOrEqual(256 * 1024);
    expect(after.records).toBeGreaterThan(0);
    expect(after.records).toBeLessThan(before.records);
    expect(after.deletedBySize).toBe(before.records - after.records);
    // The newest survive.
    expect(store.query({ limit: 1 }).records[0]!.body).toMatch(/^line 39 99 /);
    store.close();
    expect(statSync(file).size).toBeLessThan(1024 * 1024);
    open({ maxBytes: 256 * 1024 });
  });

  it("deletes at most maintainBatch rows per call and says more is left", () => {
    store.close();
    open({ retentionMs: 1000, maintainBatch: 10 });
    store.append(env(Array.from({ length: 25 }, (_, i) => rec(T0 + i, `r${i}`))), T0);
    expect(store.maintain(T0 + 10_000)).toMatchObject({ deletedByAge: 10, more: true });
    expect(store.maintain(T0 + 10_000)).toMatchObject({ deletedByAge: 10, more: true });
    expect(store.maintain(T0 + 10_000)).toMatchObject({ deletedByAge: 5, more: false });
    expect(store.stats().records).toBe(0);
  });

  it("runs retention in steps from its periodic loop until the store is within bounds", async () => {
    store.close();
    open({ retentionMs: 1000, maintainBatch: 10 });
    store.append(env(Array.from({ length: 95 }, (_, i) => rec(T0 + i, `r${i}`))), T0);
    const loop = logRetentionLoop(store, { log: createLogger("test", "silent"), now: () => T0 + 60_000, maxSteps: 5 });
    await loop.tick();
    expect(store.stats().records).toBe(45);
    await loop.tick();
    expect(store.stats().records).toBe(0);
    expect(loop.stats.errors).toBe(0);
    await loop.stop();
  });

  it("counts records by node, stack, service and severity range, and gives recent rates", () => {
    store.append(env([rec(T0, "a", 17), rec(T0, "b", 18), rec(T0, "c", 9), rec(T0, "d", 13, resource("shop", "api"))]), T0);
    store.append(env([rec(T0, "e", 21)]), T0 + 30_000);
    expect(store.counts()).toEqual(
      expect.arrayContaining([
        { node: "worker-1", stack: "shop", service: "web", severity: "ERROR", total: 2 },
        { node: "worker-1", stack: "shop", service: "web", severity: "INFO", total: 1 },
        { node: "worker-1", stack: "shop", service: "web", severity: "FATAL", total: 1 },
        { node: "worker-1", stack: "shop", service: "api", severity: "WARN", total: 1 },
      ]),
    );
    // Errors and worse of shop_web over the last minute: 3 records / 60 s.
    expect(store.rate({ service: "shop_web", minSeverity: 17 }, 60_000, T0 + 30_000)).toBeCloseTo(3 / 60);
    // Over the last 10 s only the fatal one.
    expect(store.rate({ service: "web", stack: "shop", minSeverity: 17 }, 10_000, T0 + 30_000)).toBeCloseTo(1 / 10);
    expect(store.rate({ stack: "shop" }, 60_000, T0 + 30_000)).toBeCloseTo(5 / 60);
    // Ten minutes later, nothing recent.
    expect(store.rate({ stack: "shop" }, 60_000, T0 + 600_000)).toBe(0);
  });

  it("finds its records again after reopening", () => {
    store.append(env([rec(T0, "persisted", 17)]), T0);
    store.close();
    open();
    expect(store.query({ service: "web", minSeverity: 17, match: '"persisted"', limit: 5 }).records).toHaveLength(1);
    expect(store.stats().records).toBe(1);
  });
});
