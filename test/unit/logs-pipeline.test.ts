import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { defaultLogsConfig, LogsConfigSchema, pipelineOptions, type LogsConfigInput } from "../../agent/logs/config.js";
import type { FileCursor } from "../../agent/logs/file-tail.js";
import { ContainerPipeline, type RawEntry, type Stream } from "../../agent/logs/pipeline.js";
import { apiRecordUid, fileRecordUid } from "../../agent/logs/uid.js";
import type { LogRecord } from "../../protocol/index.js";

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/logs");
const RESOURCE = { "container.id": "c1", "service.name": "api" };
const T0 = 1_796_226_331_000; // 2026-12-02T15:45:31Z

function setup(config: LogsConfigInput = {}) {
  const clock = { now: T0 };
  let n = 0;
  const pipeline = new ContainerPipeline<number>(RESOURCE, pipelineOptions(LogsConfigSchema.parse(config)), (a, b) => a - b, () => clock.now);
  const push = (text: string, stream: Stream = "stdout", partial = false): void => {
    const e: RawEntry<number> = { stream, text, partial, timeUnixNano: `${T0 + n}000000`, at: n, after: n + 1 };
    n++;
    pipeline.push(e);
  };
  return { clock, pipeline, push, position: () => n };
}

/** Every line of a fixture file through a pipeline, then everything held flushed. */
function corpus(file: string, stream: Stream = "stdout"): LogRecord[] {
  const { pipeline, push } = setup();
  for (const line of readFileSync(path.join(FIXTURES, file), "utf8").replace(/\n$/, "").split("\n")) push(line, stream);
  pipeline.flushAll();
  return pipeline.take().records;
}

const summary = (records: LogRecord[]) => records.map((r) => [r.severityNumber, typeof r.body === "string" ? r.body.split("\n")[0] : r.body, r.attributes?.["vigie.log.lines"] ?? 1]);

describe("the corpus of real-shaped lines", () => {
  it("nginx access lines: one record each, no level", () => {
    const r = corpus("nginx-access.log");
    expect(r).toHaveLength(2);
    expect(r.map((x) => x.severityNumber)).toEqual([0, 0]);
    expect(r[1]?.body).toContain('"POST /api/orders?token=abc HTTP/1.1" 502');
    expect(r[0]?.resource).toEqual(RESOURCE);
    expect(r[0]?.attributes?.["log.iostream"]).toBe("stdout");
  });
  it("nginx error lines: bracketed levels, notice as INFO2", () => {
    expect(corpus("nginx-error.log", "stderr").map((x) => [x.severityNumber, x.severityText])).toEqual([[17, "error"], [13, "warn"], [10, "notice"]]);
  });
  it("a Spring Boot log with a Java stack trace and its cause becomes one ERROR record", () => {
    const r = corpus("java-stacktrace.log");
    expect(summary(r)).toEqual([
      [9, "2026-12-02 15:45:36.123  INFO 1 --- [           main] com.shop.Application                     : Started Application in 3.2 seconds", 1],
      [17, "2026-12-02 15:45:37.456 ERROR 1 --- [nio-8080-exec-1] o.a.c.c.C.[.[.[/].[dispatcherServlet]    : Servlet.service() threw exception", 8],
      [13, "2026-12-02 15:45:38.001  WARN 1 --- [nio-8080-exec-2] com.shop.orders.OrderService             : retrying in 500 ms", 1],
    ]);
    expect(r[1]?.body).toContain("Caused by: java.net.ConnectException: Connection refused\n\tat java.base/sun.nio.ch.Net.connect0(Native Method)\n\t... 48 more");
  });
  it("pino JSON: numeric levels, ms epochs, trace context, redacted password; a Node stack trace joined", () => {
    const r = corpus("node-pino.log");
    expect(summary(r)).toEqual([
      [9, "request completed", 1],
      [17, "query failed", 1],
      [13, "slow query", 1],
      [17, "TypeError: Cannot read properties of undefined (reading 'id')", 3],
    ]);
    expect(r[0]).toMatchObject({ timeUnixNano: "1796226339123000000", severityText: "info", attributes: { "req.method": "GET", pid: 7, hostname: "api-1", responseTime: 3 } });
    expect(r[1]).toMatchObject({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" });
    expect(r[1]?.attributes?.["err.stack"]).toContain("at TCPConnectWrap.afterConnect");
    expect(r[2]?.attributes).toMatchObject({ password: "[REDACTED]", duration_ms: 1532 });
    expect(r[2]?.timeUnixNano).toBe("1796226341500000000");
  });
  it("a Python traceback under its logging line is one record, ending with the exception line", () => {
    const r = corpus("python-traceback.log", "stderr");
    expect(summary(r)).toEqual([
      [17, "ERROR:root:payment failed", 7],
      [9, "INFO:root:retry scheduled", 1],
    ]);
    expect((r[0]?.body as string).split("\n").at(-1)).toBe("ConnectionError: gateway timeout");
  });
  it("a Go panic with its goroutine dump is one PANIC record", () => {
    const r = corpus("go-panic.log", "stderr");
    expect(summary(r)).toEqual([
      [0, "2026/12/02 15:45:42 listening on :8080", 1],
      [19, "panic: runtime error: index out of range [5] with length 3", 8],
    ]);
  });
  it("logfmt lines: level, msg, time and the rest as attributes", () => {
    const r = corpus("logfmt.log");
    expect(summary(r)).toEqual([
      [9, "listening", 1],
      [17, 'upstream "db" unreachable', 1],
      [5, "cache", 1],
    ]);
    expect(r[0]).toMatchObject({ timeUnixNano: "1796226343123456789", attributes: { addr: "127.0.0.1:8080" } });
    expect(r[1]).toMatchObject({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", attributes: { retry: "true", err: "dial tcp 127.0.0.1:5432: connect: connection refused" } });
  });
  it("syslog lines: the priority's severity", () => {
    expect(corpus("syslog.log").map((x) => x.severityNumber)).toEqual([17, 9, 9]);
  });
});

describe("ContainerPipeline", () => {
  it("joins the engine's parts of a long line and cuts it to the maximum, flagged with its size", () => {
    const { pipeline, push } = setup({ multiline: { enabled: false } });
    const part = "a".repeat(16 * 1024);
    for (let i = 0; i < 64; i++) push(part, "stdout", true);
    push("end", "stdout", false);
    push("next line");
    const { records } = pipeline.take();
    expect(records).toHaveLength(2);
    expect(Buffer.byteLength(records[0]?.body as string)).toBe(16 * 1024);
    expect(records[0]?.attributes).toMatchObject({ "vigie.log.truncated": true, "vigie.log.original_bytes": 64 * 16 * 1024 + 3 });
    expect(records[1]?.body).toBe("next line");
    expect(pipeline.stats.truncated).toBe(1);
  });
  it("keeps records whole whatever bytes they hold", () => {
    const { pipeline, push } = setup({ multiline: { enabled: false } });
    push(Buffer.from([0x66, 0xff, 0xfe, 0x6f]).toString("utf8"));
    push("tab\there \x1b[1mbold\x1b[0m \x00nul");
    push('{"msg":"esc \\u001b[31m\\u0000 \\ud800","level":"info"}');
    const bodies = pipeline.take().records.map((r) => r.body);
    expect(bodies).toEqual(["f\ufffd\ufffdo", "tab\there bold \ufffdnul", "esc \ufffd \ufffd"]);
  });
  it("holds a stack trace until its next line or the timeout, and sends it then", () => {
    const { pipeline, push, clock } = setup();
    push("ERROR failed");
    push("java.lang.IllegalStateException: x");
    push("\tat a.b(C.java:1)");
    expect(pipeline.take().records).toHaveLength(0);
    clock.now += 999;
    pipeline.flushStale();
    expect(pipeline.take().records).toHaveLength(0);
    clock.now += 1;
    pipeline.flushStale();
    const { records } = pipeline.take();
    expect(records).toHaveLength(1);
    expect(records[0]?.attributes?.["vigie.log.lines"]).toBe(3);
  });
  it("bounds a joined record in lines and goes on in a new one", () => {
    const { pipeline, push } = setup({ multiline: { maxLines: 10 } });
    push("Exception in thread main");
    for (let i = 0; i < 25; i++) push(`\tat frame${i}`);
    pipeline.flushAll();
    expect(pipeline.take().records.map((r) => r.attributes?.["vigie.log.lines"] ?? 1)).toEqual([10, 10, 6]);
  });
  it("drops what passes the rate limit, counts it, and reports it in a record", () => {
    const { pipeline, push, clock } = setup({ multiline: { enabled: false }, rateLimit: { linesPerSecond: 10, burst: 20 } });
    for (let i = 0; i < 100; i++) push(`line ${i}`);
    expect(pipeline.take().records).toHaveLength(20);
    clock.now += 1000;
    for (let i = 0; i < 100; i++) push(`more ${i}`);
    pipeline.reportDrops();
    const { records } = pipeline.take();
    expect(records).toHaveLength(11);
    expect(records.at(-1)).toMatchObject({ severityNumber: 13, attributes: { "vigie.log.dropped": 170 }, resource: RESOURCE });
    expect(pipeline.stats).toMatchObject({ lines: 200, dropped: 170, records: 31 });
  });
  it("gives a checkpoint per stream that keeps a held trace and skips what was sent", () => {
    const { pipeline, push } = setup();
    push("Traceback (most recent call last):", "stderr"); // 0, held
    push('  File "x.py", line 1', "stderr"); // 1, held
    push("out 1"); // 2
    push("out 2"); // 3 held (could be followed by a frame)
    const first = pipeline.take();
    expect(first.records.map((r) => r.body)).toEqual(["out 1"]);
    expect(first.checkpoint).toEqual({ stdout: 3, stderr: 0 });

    // A restart reads from the earliest cursor again: what was sent is skipped, what was held is not lost.
    const again = new ContainerPipeline<number>(RESOURCE, pipelineOptions(defaultLogsConfig()), (a, b) => a - b, () => T0, first.checkpoint);
    const lines: [string, Stream][] = [["Traceback (most recent call last):", "stderr"], ['  File "x.py", line 1', "stderr"], ["out 1", "stdout"], ["out 2", "stdout"], ["ValueError: bad", "stderr"], ["out 3", "stdout"]];
    lines.forEach(([text, stream], i) => again.push({ stream, text, partial: false, timeUnixNano: `${T0}000000`, at: i, after: i + 1 }));
    again.flushAll();
    expect(again.take().records.map((r) => (r.body as string).split("\n")[0])).toEqual(["Traceback (most recent call last):", "out 2", "out 3"]);
  });
  it("gives a record read again from an earlier checkpoint the uid it had the first time", () => {
    const options = pipelineOptions(defaultLogsConfig());
    const uid = fileRecordUid("0123456789ab".padEnd(64, "0"));
    const entries: RawEntry<FileCursor>[] = ["ERROR failed", "Traceback (most recent call last):", '  File "x.py", line 1', "ValueError: bad", "out 2", "out 3"].map((text, i) => ({
      stream: "stdout", text, partial: false, timeUnixNano: `${T0 + i}000000`, at: { ino: 7, off: i * 100 }, after: { ino: 7, off: (i + 1) * 100 },
    }));
    const compare = (a: FileCursor, b: FileCursor) => a.off - b.off;
    const first = new ContainerPipeline<FileCursor>(RESOURCE, options, compare, () => T0, undefined, uid);
    for (const e of entries.slice(0, 5)) first.push(e);
    const sent = first.take();
    expect(sent.records).toHaveLength(1);
    // Killed after the spool took these and before the position was written: read again from the start.
    const again = new ContainerPipeline<FileCursor>(RESOURCE, options, compare, () => T0, undefined, uid);
    for (const e of entries) again.push(e);
    again.flushAll();
    const uids = (rs: LogRecord[]) => rs.map((r) => r.attributes?.["log.record.uid"]);
    const second = again.take().records;
    expect(uids(second).slice(0, sent.records.length)).toEqual(uids(sent.records));
    // The trace (4 lines) by its first line, with its line count; then one line each (offsets 400 and 500 in base 36).
    const t36 = (i: number) => BigInt(`${T0 + i}000000`).toString(36);
    expect(uids(second)).toEqual([`0123456789ab-f7-0-${t36(0)}-4`, `0123456789ab-f7-b4-${t36(4)}`, `0123456789ab-f7-dw-${t36(5)}`]);
  });
  it("makes uids that tell apart a reused inode (other times) and the API stream's entries of one instant", () => {
    const file = fileRecordUid("a".repeat(64));
    expect(file({ ino: 5, off: 0 }, "1796226331000000000", 1)).not.toBe(file({ ino: 5, off: 0 }, "1796226999000000000", 1));
    const api = apiRecordUid("a".repeat(64));
    expect(api({ t: "1796226331000000000", n: 0 }, "1796226331000000000", 1)).not.toBe(api({ t: "1796226331000000000", n: 1 }, "1796226331000000000", 1));
    expect(api({ t: "1796226331000000000", n: 1 }, "", 1)).toBe("aaaaaaaaaaaa-a" + BigInt("1796226331000000000").toString(36) + "-1");
  });
  it("redacts bearer tokens, URL passwords, secret fields and key shapes; configured patterns too", () => {
    const { pipeline, push } = setup({ multiline: { enabled: false }, redact: { patterns: [{ name: "card", pattern: "\\b\\d{4}-\\d{4}-\\d{4}-\\d{4}\\b", replacement: "[CARD]" }] } });
    push("GET /x Authorization: Bearer eyJhbGciOi.J9abc.defghijk123 ok");
    push("connecting to postgres://shop:s3cr3t@127.0.0.1:5432/shop");
    push("login password=hunter2 user=bob api_key: 'abcd1234'");
    push("aws AKIAIOSFODNN7EXAMPLE github ghp_abcdefghijklmnopqrstuvwxyz0123456789 stripe sk_live_abcdefghijklmnop1234");
    push("paid with 4111-1111-1111-1111");
    expect(pipeline.take().records.map((r) => r.body)).toEqual([
      "GET /x Authorization: Bearer [REDACTED] ok",
      "connecting to postgres://shop:[REDACTED]@127.0.0.1:5432/shop",
      "login password=[REDACTED] user=bob api_key: '[REDACTED]'",
      "aws [REDACTED] github [REDACTED] stripe [REDACTED]",
      "paid with [CARD]",
    ]);
  });
});

describe("agent.logs configuration", () => {
  it("has defaults for everything", () => {
    const c = defaultLogsConfig();
    expect(c).toMatchObject({ enabled: true, maxLineBytes: 16384, rateLimit: { linesPerSecond: 1000, burst: 5000 }, pollInterval: 250, multiline: { flushAfter: 1000, maxLines: 500 } });
  });
  it("rejects unknown keys and bad patterns, naming the path and the value", () => {
    const bad = LogsConfigSchema.safeParse({ redact: { patterns: [{ name: "x", pattern: "(unclosed" }] }, maxLineBytes: "lots", extra: 1 });
    expect(bad.success).toBe(false);
    const issues = bad.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
    expect(issues.some((m) => m.startsWith("redact.patterns.0.pattern:") && m.includes('"(unclosed"'))).toBe(true);
    expect(issues.some((m) => m.startsWith("maxLineBytes:") && m.includes('"lots"'))).toBe(true);
    expect(issues.some((m) => m.includes("extra"))).toBe(true);
  });
});
