/**
 * The collector's container logs: a SQLite + FTS5 store of OpenTelemetry log records, its search
 * API, its metrics and its retention loop.
 *
 * Wiring (one place, the collector's composition):
 * - `new LogStore(file, options)` — its own database file (e.g. `<dataDir>/collector/logs.db`);
 * - `store.append(env, receivedAt)` for every accepted `logs` envelope, before the ack
 *   (idempotent by node, boot and seq, and per record by its `log.record.uid` within its container;
 *   throws on a storage failure so the message is redelivered);
 * - `logRetentionLoop(store, { log, now }).start()`, and `stop()` before `store.close()`;
 * - `logRoutes({ store, now })` among the API's route modules;
 * - `registerLogMetrics(registry, store)` on the collector's registry;
 * - `store.rate(filter, windowMs, now)` / `store.counts()` for alert rules.
 */
export { LogStore, type LogStoreOptions, type AppendOutcome, type MaintainOutcome, type LogStoreStats } from "./store.js";
export type { LogFilter, LogPage, StoredLog } from "./search.js";
export { logRoutes, type LogRoutesDeps } from "./routes.js";
export { registerLogMetrics } from "./metrics.js";
export { logRetentionLoop, type LogRetentionOptions } from "./retention.js";
export { type LogCount, type RateFilter, MAX_RATE_WINDOW_MS } from "./counts.js";
export { SEVERITY_RANGES, severityRange, parseSeverity, type SeverityRange } from "./severity.js";
export { ftsQuery } from "./fts.js";
