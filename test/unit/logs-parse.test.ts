import { describe, expect, it } from "vitest";
import { detectSeverity, parseJsonLine, parseLogfmtLine, parseMessage, parsePlainLine, DEFAULT_FIELD_LIMITS } from "../../agent/logs/parse/index.js";
import { severityOfValue, severityOfWord } from "../../agent/logs/severity.js";
import { cleanText, truncateUtf8 } from "../../agent/logs/text.js";
import { compareNanos, msToNanos, nanosToSince, parseRfc3339, parseTimeValue } from "../../agent/logs/timestamp.js";

describe("severity words", () => {
  it("maps the words of appendix B to their OTel numbers and keeps the word", () => {
    const table: [string, number][] = [
      ["trace", 1], ["DEBUG", 5], ["info", 9], ["notice", 10], ["Warning", 13], ["warn", 13], ["err", 17], ["ERROR", 17],
      ["crit", 18], ["critical", 18], ["dpanic", 18], ["alert", 19], ["panic", 19], ["fatal", 21], ["emerg", 21], ["emergency", 21],
    ];
    for (const [word, n] of table) expect(severityOfWord(word), word).toEqual({ number: n, text: word });
    expect(severityOfWord("bogus")).toBeUndefined();
  });
  it("reads pino's numeric levels, and other numbers 1-24 as they are", () => {
    expect(severityOfValue(30)).toEqual({ number: 9, text: "info" });
    expect(severityOfValue(50)).toEqual({ number: 17, text: "error" });
    expect(severityOfValue(14)).toEqual({ number: 14, text: "14" });
    expect(severityOfValue(99)).toBeUndefined();
    expect(severityOfValue(3.5)).toBeUndefined();
  });
});

describe("timestamps", () => {
  it("parses RFC 3339 with nanoseconds and zones into nanosecond strings", () => {
    expect(parseRfc3339("2026-12-02T15:45:31.123456789Z")).toBe("1796226331123456789");
    expect(parseRfc3339("2026-12-02T16:45:31.5+01:00")).toBe("1796226331500000000");
    expect(parseRfc3339("2026-12-02 15:45:31")).toBe("1796226331000000000");
    expect(parseRfc3339("1900-01-01T00:00:00Z")).toBeUndefined();
    expect(parseRfc3339("not a time at all, really")).toBeUndefined();
  });
  it("reads timestamps of the same second right, whatever their fraction and zone", () => {
    expect(parseRfc3339("2026-12-02T15:45:31.1Z")).toBe("1796226331100000000");
    expect(parseRfc3339("2026-12-02T15:45:31.000000002Z")).toBe("1796226331000000002");
    expect(parseRfc3339("2026-12-02T15:45:31Z")).toBe("1796226331000000000");
    expect(parseRfc3339("2026-12-02T15:45:31.5+01:00")).toBe("1796222731500000000");
    expect(parseRfc3339("2026-12-02T15:45:31.5Zjunk")).toBeUndefined();
    expect(parseRfc3339("2026-12-02T15:45:31.Z")).toBeUndefined();
  });
  it("tells epoch seconds, milliseconds and nanoseconds apart by magnitude", () => {
    expect(parseTimeValue(1764690331)).toBe("1764690331000000000");
    expect(parseTimeValue(1764690331123)).toBe("1764690331123000000");
    expect(parseTimeValue("1764690331123456789")).toBe("1764690331123456768"); // a double's precision
    expect(parseTimeValue(-5)).toBeUndefined();
    expect(parseTimeValue(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
  it("orders, converts and formats nanoseconds for the API's since", () => {
    expect(msToNanos(1764690331123.5)).toBe("1764690331123500000");
    expect(nanosToSince("1764690331123456789")).toBe("1764690331.123456789");
    expect(compareNanos("999", "1000")).toBeLessThan(0);
    expect(compareNanos("1764690331123456789", "1764690331123456788")).toBeGreaterThan(0);
  });
});

describe("text cleaning", () => {
  it("strips terminal colours and replaces control characters and lone surrogates", () => {
    expect(cleanText("\x1b[31mred\x1b[0m text\r")).toBe("red text");
    expect(cleanText("a\x00b\x07c\td")).toBe("a\ufffdb\ufffdc\td");
    expect(cleanText("x\ud800y")).toBe("x\ufffdy");
    expect(cleanText("plain")).toBe("plain");
  });
  it("cuts long text on a character boundary and says how long it was", () => {
    const s = "é".repeat(100); // 200 bytes
    const cut = truncateUtf8(s, 51);
    expect(cut.truncated).toBe(true);
    expect(cut.bytes).toBe(200);
    expect(Buffer.byteLength(cut.text)).toBe(50);
    expect(cut.text).toBe("é".repeat(25));
    expect(truncateUtf8("short", 16).truncated).toBe(false);
  });
});

describe("JSON lines", () => {
  it("takes level, message, time and trace context, and keeps the rest as flattened attributes", () => {
    const p = parseJsonLine('{"level":"error","msg":"boom","time":"2026-12-02T15:45:31Z","trace_id":"4BF92F3577B34DA6A3CE929D0E0E4736","span_id":"00f067aa0ba902b7","req":{"method":"GET","n":2},"tags":["a"]}', DEFAULT_FIELD_LIMITS);
    expect(p).toMatchObject({ body: "boom", severity: { number: 17, text: "error" }, timeUnixNano: "1796226331000000000", traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", format: "json" });
    expect(p?.attributes).toEqual({ "req.method": "GET", "req.n": 2, tags: '["a"]' });
  });
  it("reads ECS's nested log.level and keeps an unknown level as an attribute", () => {
    expect(parseJsonLine('{"log":{"level":"warn"},"message":"m"}', DEFAULT_FIELD_LIMITS)?.severity).toEqual({ number: 13, text: "warn" });
    const p = parseJsonLine('{"level":"loud","msg":"m"}', DEFAULT_FIELD_LIMITS);
    expect(p?.severity).toBeUndefined();
    expect(p?.attributes).toEqual({ level: "loud" });
  });
  it("keeps the line as body when it has no message field", () => {
    const line = '{"level":"info","event":"login","user":"bob"}';
    expect(parseJsonLine(line, DEFAULT_FIELD_LIMITS)).toMatchObject({ body: line, severity: { number: 9 } });
  });
  it("bounds attributes and values", () => {
    const obj: Record<string, unknown> = { msg: "m", big: "x".repeat(10_000) };
    for (let i = 0; i < 100; i++) obj[`k${i}`] = i;
    const p = parseJsonLine(JSON.stringify(obj), { maxAttributes: 10, maxValueLength: 100 });
    expect(String(p?.attributes?.big).length).toBe(100);
    expect(Object.keys(p?.attributes ?? {}).length).toBeLessThanOrEqual(11);
    expect(p?.attributes?.["vigie.log.dropped_attributes"]).toBeGreaterThan(80);
  });
  it("is not fooled by arrays, broken JSON or a JSON string", () => {
    expect(parseJsonLine("[1,2]", DEFAULT_FIELD_LIMITS)).toBeUndefined();
    expect(parseJsonLine('{"a":', DEFAULT_FIELD_LIMITS)).toBeUndefined();
    expect(parseMessage('{"a": broken}').format).toBe("plain");
  });
  it("ignores an application time outside 2000-2200", () => {
    const p = parseJsonLine('{"msg":"m","ts":"1970-01-01T00:00:00Z"}', DEFAULT_FIELD_LIMITS);
    expect(p?.timeUnixNano).toBeUndefined();
    expect(p?.attributes).toEqual({ time: "1970-01-01T00:00:00Z" });
  });
});

describe("logfmt", () => {
  it("parses quoted values with escapes and bare keys", () => {
    const p = parseLogfmtLine('ts=2026-12-02T15:45:44Z lvl=error msg="upstream \\"db\\" unreachable" retry', DEFAULT_FIELD_LIMITS);
    expect(p).toMatchObject({ body: 'upstream "db" unreachable', severity: { number: 17, text: "error" }, timeUnixNano: "1796226344000000000", format: "logfmt" });
    expect(p?.attributes).toEqual({ retry: true });
  });
  it("leaves a sentence with one = or an unterminated quote to the plain parser", () => {
    expect(parseLogfmtLine("x=1 is the answer", DEFAULT_FIELD_LIMITS)).toBeUndefined();
    expect(parseLogfmtLine('a=1 b="open', DEFAULT_FIELD_LIMITS)).toBeUndefined();
    expect(parseMessage("Starting server on port=8080").format).toBe("plain");
  });
});

describe("plain lines", () => {
  it("finds leading, bracketed and upper-case levels near the start only", () => {
    expect(detectSeverity("2026/12/02 15:45:33 [error] 29#29: connect() failed")?.number).toBe(17);
    expect(detectSeverity("ERROR:root:payment failed")?.number).toBe(17);
    expect(detectSeverity("2026-12-02 15:45:38.001  WARN 1 --- [main] c.s.Service : retry")?.number).toBe(13);
    expect(detectSeverity("Warning: deprecated option")?.number).toBe(13);
    expect(detectSeverity("E1202 15:45:31.123456   1 main.go:12] failed")?.number).toBe(17);
    expect(detectSeverity("user said the info was wrong")).toBeUndefined();
    expect(detectSeverity(`${"x".repeat(200)} ERROR late`)).toBeUndefined();
  });
  it("reads an exception or a panic without a level as erroneous", () => {
    expect(detectSeverity("TypeError: Cannot read properties of undefined")?.number).toBe(17);
    expect(detectSeverity("Traceback (most recent call last):")?.number).toBe(17);
    expect(detectSeverity("panic: runtime error: index out of range")?.number).toBe(19);
  });
  it("reads syslog priorities and takes the prefix off the body", () => {
    const p = parsePlainLine("<11>Dec  2 15:45:45 api-1 app[7]: disk full");
    expect(p).toMatchObject({ body: "Dec  2 15:45:45 api-1 app[7]: disk full", severity: { number: 17, text: "<11>" }, attributes: { "syslog.facility": 1, "syslog.severity": 3 } });
    expect(parsePlainLine("<999>not a priority").body).toBe("<999>not a priority");
  });
});
