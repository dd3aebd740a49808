/**
 * Parser throughput per core: how many JSON, logfmt and plain lines one thread turns into
 * records, for the parser alone (`parseMessage`) and for the whole per-container pipeline
 * (clean, cut, multi-line joining, rate limit, parse, redact, record). Target: 200,000 lines/s
 * each. Not a test: numbers depend on the machine; compare rows of one run.
 */
import { writeFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { LogsConfigSchema, pipelineOptions } from "../../agent/logs/config.js";
import { parseMessage } from "../../agent/logs/parse/index.js";
import { ContainerPipeline } from "../../agent/logs/pipeline.js";

const { values } = parseArgs({ options: { lines: { type: "string", default: "500000" }, rounds: { type: "string", default: "5" }, out: { type: "string" }, command: { type: "string", default: "" } } });
const LINES = Number(values.lines);
const ROUNDS = Number(values.rounds);

const LEVELS = ["info", "debug", "warn", "error"];
const PATHS = ["/api/orders", "/health", "/api/users/42", "/static/app.js"];

function jsonLine(i: number): string {
  return JSON.stringify({ level: 30 + (i % 3) * 10, time: 1_796_226_331_000 + i, pid: 7, hostname: "api-1", req: { method: "GET", url: PATHS[i % 4], id: i }, responseTime: i % 97, msg: "request completed" });
}
function logfmtLine(i: number): string {
  return `ts=2026-12-02T15:45:${String(i % 60).padStart(2, "0")}.123456Z level=${LEVELS[i % 4]} msg="request completed" method=GET path=${PATHS[i % 4]} status=200 duration=${i % 97}ms request_id=r${i}`;
}
function plainLine(i: number): string {
  return i % 2 === 0
    ? `127.0.0.1 - - [02/Dec/2026:15:45:31 +0000] "GET ${PATHS[i % 4]} HTTP/1.1" 200 ${600 + (i % 50)} "-" "curl/8.5.0"`
    : `2026-12-02 15:45:37.456 ${LEVELS[i % 4]?.toUpperCase()} 1 --- [nio-8080-exec-${i % 8}] com.shop.orders.OrderService : order ${i} placed in ${i % 97} ms`;
}

const FORMATS: [string, (i: number) => string][] = [["json", jsonLine], ["logfmt", logfmtLine], ["plain", plainLine]];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/**
 * Lines per second of CPU time used by this process (user + system), and per second of wall time.
 * On a shared machine the wall rate depends on what else runs; the CPU rate is the cost per core.
 */
function measure(lines: string[], work: (lines: string[]) => number): { rate: number; wall: number } {
  const rates: number[] = [];
  const walls: number[] = [];
  work(lines.slice(0, 20_000)); // warm-up: let V8 compile the hot paths
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    const n = work(lines);
    const c = process.cpuUsage(c0);
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(n / ((c.user + c.system) / 1e6));
    walls.push(n / s);
  }
  return { rate: median(rates), wall: median(walls) };
}

const parserOnly = (lines: string[]): number => {
  let sev = 0;
  for (const l of lines) sev += parseMessage(l).severity?.number ?? 0;
  return sev >= 0 ? lines.length : 0;
};

const wholePipeline = (lines: string[]): number => {
  // Rate limit out of the way: the bench measures the work of a record, not the limit.
  const options = pipelineOptions(LogsConfigSchema.parse({ rateLimit: { linesPerSecond: 1e6, burst: 1e7 } }));
  const clock = 1_796_226_331_000;
  const p = new ContainerPipeline<number>({ "container.id": "c1", "service.name": "api" }, options, (a, b) => a - b, () => clock);
  let records = 0;
  for (let i = 0; i < lines.length; i++) {
    p.push({ stream: "stdout", timeUnixNano: "1796226331000000000", text: lines[i] as string, partial: false, at: i, after: i + 1 });
    if (i % 512 === 511) records += p.take().records.length;
  }
  p.flushAll();
  records += p.take().records.length;
  return records === lines.length ? lines.length : 0;
};

const rows: string[] = [];
for (const [name, make] of FORMATS) {
  const lines = Array.from({ length: LINES }, (_, i) => make(i));
  const parser = measure(lines, parserOnly);
  const pipeline = measure(lines, wholePipeline);
  const avg = Math.round(lines.reduce((n, l) => n + l.length, 0) / lines.length);
  const f = (x: number): string => Math.round(x).toLocaleString("en");
  const row = `| ${name} | ${avg} | ${f(parser.rate)} | ${f(pipeline.rate)} | ${f(parser.wall)} | ${f(pipeline.wall)} | ${parser.rate >= 200_000 ? "yes" : "no"} | ${pipeline.rate >= 200_000 ? "yes" : "no"} |`;
  rows.push(row);
  console.log(row);
}

const report = `# logs-parse

Parser throughput per core (one Node thread), median of ${ROUNDS} rounds of ${LINES.toLocaleString("en")} lines per format: lines per
second of CPU time this process used (user + system, so the garbage collector's threads count too), and per second of
wall time (which on a shared machine says more about the other work than about the parser).
"parser" is \`parseMessage\` alone; "pipeline" is the whole per-container path a line takes in the agent (control
characters cleaned, cut at 16 KiB, multi-line joining with the default rules, token bucket, parse, redaction with the
default patterns, OTel record built). Target: 200,000 lines/s per format.

Command: \`${values.command}\`
Machine: ${os.cpus()[0]?.model ?? "?"}, ${os.cpus().length} cores (shared; load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}), Node ${process.version}, ${new Date().toISOString()}

| format | avg line (chars) | parser lines/CPU-s | pipeline lines/CPU-s | parser lines/wall-s | pipeline lines/wall-s | parser ≥ 200k | pipeline ≥ 200k |
|---|---|---|---|---|---|---|---|
${rows.join("\n")}
`;
if (values.out) writeFileSync(values.out, report);
console.log(report);
