import { Counter, Gauge, type Registry } from "prom-client";
import type { LogStore } from "./store.js";

/**
 * The log store in `/metrics`: `vigie_log_records_total{node,stack,service,severity}` (severity is
 * the range name: TRACE … FATAL, UNSPECIFIED), what retention removed, what was refused, and the
 * store's size. Labels stay bounded: the store lumps services past its limit under `_other`.
 */
export function registerLogMetrics(registry: Registry, store: LogStore): void {
  const registers = [registry];
  new Counter({
    name: "vigie_log_records_total",
    help: "Log records stored, by node, stack, service and severity range (TRACE, DEBUG, INFO, WARN, ERROR, FATAL, UNSPECIFIED).",
    labelNames: ["node", "stack", "service", "severity"] as const,
    registers,
    collect() {
      this.reset();
      for (const c of store.counts()) this.inc({ node: c.node, stack: c.stack, service: c.service, severity: c.severity }, c.total);
    },
  });
  new Counter({
    name: "vigie_log_records_removed_total",
    help: "Log records removed by retention, by reason (age, size).",
    labelNames: ["reason"] as const,
    registers,
    collect() {
      this.reset();
      const s = store.stats();
      this.inc({ reason: "age" }, s.deletedByAge);
      this.inc({ reason: "size" }, s.deletedBySize);
    },
  });
  new Counter({
    name: "vigie_log_records_refused_total",
    help: "Log records not stored because they were already older than the retention when they arrived.",
    registers,
    collect() {
      this.reset();
      this.inc(store.stats().expired);
    },
  });
  new Counter({
    name: "vigie_log_duplicates_total",
    help: "What the log store did not store twice: agent messages it already held (what=message), and records of new messages whose uid it already held (what=record: lines an agent read again after it was killed).",
    labelNames: ["what"] as const,
    registers,
    collect() {
      this.reset();
      const s = store.stats();
      this.inc({ what: "message" }, s.duplicates);
      this.inc({ what: "record" }, s.repeatedRecords);
    },
  });
  new Gauge({
    name: "vigie_log_store_records",
    help: "Log records in the store.",
    registers,
    collect() {
      this.set(store.stats().records);
    },
  });
  new Gauge({
    name: "vigie_log_store_bytes",
    help: "Bytes of the log store's database in use.",
    registers,
    collect() {
      this.set(store.stats().bytes);
    },
  });
}
