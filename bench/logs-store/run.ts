import { appendFileSync, existsSync, mkdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ftsQuery } from "../../collector/logs/fts.js";
import { LogStore } from "../../collector/logs/store.js";
import type { LogFilter } from "../../collector/logs/search.js";
import type { EnvelopeOf, LogRecord } from "../../protocol/index.js";
import { seededRandom } from "../../test/support/random.js";

/**
 * The collector's log store at volume: ingest rate (agent messages of 100 records appended as
 * the collector does, one transaction each) while the store grows to `--records`, then search
 * latency of the queries people and alert rules ask, and one retention step. The store is a file
 * on disk; `--reuse` searches an existing one instead of building it again.
 */
const { values } = parseArgs({
  options: {
    records: { type: "string", default: "1000000" },
    db: { type: "string", default: path.join(os.tmpdir(), "vigie-bench-logs", "logs.db") },
    reuse: { type: "boolean", default: false },
    queries: { type: "string", default: "20" },
    out: { type: "string" },
    command: { type: "string", default: "" },
    /** `yes`: records carry a `log.record.uid` shaped like the agent's (the store then keeps a unique index on it); `no`: none. */
    uids: { type: "string", default: "yes" },
  },
});
const UIDS = values.uids !== "no";
/** Byte offsets in each container's log, for uids shaped like the agent's (`agent/logs/uid.ts`). */
const offsets = new Map<string, number>();
const TARGET = Number(values.records);
const QUERIES = Number(values.queries);
const BATCH = 100;
const NODES = 20;
const STACKS = 10;
const SERVICES_PER_STACK = 20;
const REPLICAS = 3;
const DAY = 86_400_000;
/** One record every 8 ms over the cluster (125 lines/s): 10 M records span about 22 hours. */
const STEP_MS = 8;
const T0 = Date.UTC(2026, 10, 1);

const rand = seededRandom(42);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const WORDS = ["order", "payment", "user", "cart", "session", "invoice", "stock", "shipment", "token", "cache", "query", "retry", "upstream", "request", "response"];
const TEMPLATES: [number, () => string][] = [
  [9, () => `10.0.${Math.floor(rand() * 255)}.${Math.floor(rand() * 255)} - - "GET /api/${pick(WORDS)}/${Math.floor(rand() * 1e6)} HTTP/1.1" 200 ${Math.floor(rand() * 5000)} "-" "Go-http-client/1.1"`],
  [9, () => `handled ${pick(WORDS)} ${pick(WORDS)} in ${Math.floor(rand() * 300)}ms id=${Math.floor(rand() * 1e9).toString(36)}`],
  [5, () => `debug: cache ${pick(["hit", "miss"])} for key ${pick(WORDS)}:${Math.floor(rand() * 1e6)}`],
  [13, () => `slow ${pick(WORDS)} query took ${Math.floor(rand() * 3000)}ms (threshold 500ms)`],
  [17, () => `failed to process ${pick(WORDS)} ${Math.floor(rand() * 1e6)}: connection refused to db:5432\n    at Socket.connect (net.js:1141:16)\n    at Pool.acquire (pool.js:88:11)`],
  [21, () => `fatal: out of memory while allocating ${pick(WORDS)} buffer`],
];
// Severity mix: 70 % info, 15 % debug, 10 % warn, 4 % error, 1 % fatal.
function template(): [number, () => string] {
  const x = rand();
  const t = x < 0.35 ? TEMPLATES[0] : x < 0.7 ? TEMPLATES[1] : x < 0.85 ? TEMPLATES[2] : x < 0.95 ? TEMPLATES[3] : x < 0.99 ? TEMPLATES[4] : TEMPLATES[5];
  return t as [number, () => string];
}

function resource(stack: number, service: number, slot: number): LogRecord["resource"] {
  const name = `svc${service}`;
  return {
    "container.id": ((stack * 1000 + service * 10 + slot) * 7919).toString(16).padStart(64, "0"),
    "container.name": `stack${stack}_${name}.${slot}.task${stack}${service}${slot}`,
    "service.name": name,
    "service.namespace": `stack${stack}`,
    "docker.swarm.service.name": `stack${stack}_${name}`,
    "docker.swarm.task.slot": slot,
  };
}

const report: string[] = [];
const say = (line: string) => {
  report.push(line);
  process.stdout.write(`${line}\n`);
};

mkdirSync(path.dirname(values.db), { recursive: true });
if (!values.reuse && existsSync(values.db)) throw new Error(`${values.db} exists: remove it or pass --reuse`);
const store = new LogStore(values.db, { retentionMs: 3650 * DAY, maxBytes: 2 ** 50 });
const seqs = new Map<number, number>();

say(`Command: \`${values.command}\``);
say("");
say(`Run ${new Date().toISOString()}: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}.`);
say(`Data: ${NODES} nodes, ${STACKS} stacks × ${SERVICES_PER_STACK} services × ${REPLICAS} replicas; severities 70 % INFO, 15 % DEBUG, 10 % WARN, 4 % ERROR, 1 % FATAL; bodies 50-200 characters (errors carry a 2-line stack); one record every ${STEP_MS} ms in time order; messages of ${BATCH} records from one container each; ${UIDS ? "each record with a log.record.uid shaped like the agent's (about 40 characters)" : "no log.record.uid"}.`);
say("");

let have = store.stats().records;
const startCount = have;
if (have < TARGET) {
  say("| stored records | ingest rate in this step | database |");
  say("|---|---|---|");
  const step = Math.max(BATCH, Math.min(1_000_000, Math.ceil(TARGET / 10 / BATCH) * BATCH));
  let stepStart = performance.now();
  let stepFrom = have;
  while (have < TARGET) {
    const stack = Math.floor(rand() * STACKS);
    const service = Math.floor(rand() * SERVICES_PER_STACK);
    const slot = 1 + Math.floor(rand() * REPLICAS);
    const node = (stack * 7 + service * 3 + slot) % NODES;
    const res = resource(stack, service, slot);
    const records: LogRecord[] = [];
    for (let i = 0; i < BATCH; i++) {
      const [sev, body] = template();
      const t = T0 + (have + i) * STEP_MS;
      const timeUnixNano = `${t}${String(Math.floor(rand() * 1e6)).padStart(6, "0")}`;
      const text = body();
      const attributes: Record<string, string> = { "log.iostream": sev >= 13 ? "stderr" : "stdout" };
      if (UIDS) {
        const id = String(res["container.id"]);
        const off = offsets.get(id) ?? 0;
        offsets.set(id, off + text.length + 80);
        attributes["log.record.uid"] = `${id.slice(0, 12)}-f${(node * 100_000 + service).toString(36)}-${off.toString(36)}-${BigInt(timeUnixNano).toString(36)}`;
      }
      records.push({ timeUnixNano, severityNumber: sev, body: text, resource: res, attributes });
    }
    const seq = (seqs.get(node) ?? 0) + 1;
    seqs.set(node, seq);
    const env: EnvelopeOf<"logs"> = { schema: "vigie.v1", kind: "logs", node: { id: `node${node}`, hostname: `worker-${node}` }, agent: { version: "bench", bootId: `boot-${startCount}`, seq }, time: T0, payload: { records } };
    store.append(env, T0 + have * STEP_MS);
    have += BATCH;
    if (have % step === 0 || have >= TARGET) {
      const s = (performance.now() - stepStart) / 1000;
      say(`| ${have.toLocaleString("en")} | ${Math.round((have - stepFrom) / s).toLocaleString("en")} records/s | ${mib(statSync(values.db).size)} |`);
      stepStart = performance.now();
      stepFrom = have;
    }
  }
  say("");
}

const stats = store.stats();
const END = T0 + have * STEP_MS;
say(`Store: ${stats.records.toLocaleString("en")} records, ${mib(stats.bytes)} in use (${Math.round(stats.bytes / Math.max(1, stats.records))} B per record with its indexes).`);
say("");

const svc = () => `stack${Math.floor(rand() * STACKS)}_svc${Math.floor(rand() * SERVICES_PER_STACK)}`;
const cases: [string, () => LogFilter][] = [
  ["a service's last 100 error lines (service, severity ≥ error)", () => ({ service: svc(), minSeverity: 17, limit: 100 })],
  ["a service's last 100 lines", () => ({ service: svc(), limit: 100 })],
  ["a service's errors of the last 10 minutes", () => ({ service: svc(), minSeverity: 17, since: END - 600_000, limit: 100 })],
  ["the last 100 lines of everything", () => ({ limit: 100 })],
  ["the last 100 error lines of everything", () => ({ minSeverity: 17, limit: 100 })],
  ["a stack-limited token's last 100 errors", () => ({ stacks: new Set([`stack${Math.floor(rand() * STACKS)}`]), minSeverity: 17, limit: 100 })],
  ["a node's last 100 lines", () => ({ node: `worker-${Math.floor(rand() * NODES)}`, limit: 100 })],
  ["a service's lines with a rare word (full text)", () => ({ service: svc(), match: match(`${Math.floor(rand() * 1e6)}`), limit: 100 })],
  ["a service's lines with a common word (full text)", () => ({ service: svc(), match: match("refused"), limit: 100 })],
  ["everything with a common word (full text)", () => ({ match: match(pick(WORDS)), limit: 100 })],
  ["second page of a service's errors (cursor)", () => {
    const f: LogFilter = { service: svc(), minSeverity: 17, limit: 100 };
    return { ...f, cursor: store.query(f).next };
  }],
];
say(`Search latency, in process (the API adds JSON encoding), ${QUERIES} queries each with random services/stacks/nodes/words:`);
say("");
say("| query | p50 | p95 | max | records returned (median) |");
say("|---|---|---|---|---|");
for (const [name, make] of cases) {
  const times: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < QUERIES; i++) {
    const f = make();
    const t = performance.now();
    const page = store.query(f);
    times.push(performance.now() - t);
    counts.push(page.records.length);
  }
  say(`| ${name} | ${ms(quantile(times, 0.5))} | ${ms(quantile(times, 0.95))} | ${ms(Math.max(...times))} | ${quantile(counts, 0.5)} |`);
}
say("");

// One retention step: the oldest rows by age, as many as the default batch.
const t = performance.now();
// Every record is past this cutoff: the step's own bound (maintainBatch) decides.
const cut = store.maintain(END + 3650 * DAY);
say(`Retention: one maintain() step deleted ${cut.deletedByAge.toLocaleString("en")} records by age in ${ms(performance.now() - t)} (the default batch; the loop gives the event loop back between steps).`);
store.close();
if (values.out) appendFileSync(values.out, `${report.join("\n")}\n\n`);

function match(text: string): string {
  const m = ftsQuery(text);
  if (!m.ok) throw new Error(m.reason);
  return m.match;
}
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
}
function ms(x: number): string {
  return x < 10 ? `${x.toFixed(2)} ms` : `${Math.round(x)} ms`;
}
function mib(b: number): string {
  return `${(b / 2 ** 20).toFixed(0)} MiB`;
}
