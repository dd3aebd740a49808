import type Database from "better-sqlite3";

/**
 * The log store's tables. Records point at a source (node + container resource) and a service
 * (stack + name), kept once each, so a record row holds numbers and its own text only. Indexes:
 * time (newest first over everything), (service, time) (a service's newest lines), and the same
 * restricted to errors (severity ≥ 17), so "a service's last 100 errors" never walks its info
 * lines. The full-text index is contentless (the text lives in the record) and deletable by rowid.
 * `log_batches` remembers which agent messages are stored, so a redelivered one is not stored twice;
 * `uid` (OpenTelemetry's `log.record.uid`, unique within its source, see `LOG_UID_SQL`) does the
 * same for a record an agent read and sent again in a new message.
 */
export const LOG_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS log_batches (
  node_id TEXT NOT NULL,
  boot_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  received INTEGER NOT NULL,
  PRIMARY KEY (node_id, boot_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log_services (
  id INTEGER PRIMARY KEY,
  stack TEXT NOT NULL,
  service TEXT NOT NULL,
  swarm_service TEXT NOT NULL,
  UNIQUE (stack, service, swarm_service)
);
CREATE TABLE IF NOT EXISTS log_sources (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  node_id TEXT NOT NULL,
  host TEXT NOT NULL,
  service INTEGER NOT NULL,
  container TEXT NOT NULL,
  container_id TEXT NOT NULL,
  resource TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS log_records (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time INTEGER NOT NULL,
  time_ns INTEGER NOT NULL,
  observed TEXT,
  received INTEGER NOT NULL,
  source INTEGER NOT NULL,
  service INTEGER NOT NULL,
  sev INTEGER NOT NULL,
  sev_text TEXT,
  body TEXT NOT NULL,
  structured INTEGER NOT NULL,
  attrs TEXT,
  trace_id TEXT,
  span_id TEXT,
  uid TEXT
);
CREATE INDEX IF NOT EXISTS log_records_time ON log_records (time);
CREATE INDEX IF NOT EXISTS log_records_service ON log_records (service, time);
CREATE INDEX IF NOT EXISTS log_records_service_errors ON log_records (service, time) WHERE sev >= 17;
CREATE VIRTUAL TABLE IF NOT EXISTS log_fts USING fts5 (body, content = '', contentless_delete = 1);
`;

/**
 * A record's uid is unique within its source (node and container): an agent killed after its
 * spool took a batch and before it wrote its position reads those lines again and sends them in
 * a new message, with the uids they had the first time. Scoped by source, a node can only ever
 * shadow its own containers' records. Records without a uid (older agents, the agent's own
 * drop reports) are all kept.
 */
export const LOG_UID_SQL = "CREATE UNIQUE INDEX IF NOT EXISTS log_records_uid ON log_records (source, uid) WHERE uid IS NOT NULL;";

/** The store's tables, made or brought up to date (a database from before record uids gets the column). */
export function prepareLogSchema(db: Database.Database): void {
  db.exec(LOG_SCHEMA_SQL);
  const columns = db.prepare("SELECT name FROM pragma_table_info('log_records')").all() as { name: string }[];
  if (!columns.some((c) => c.name === "uid")) db.exec("ALTER TABLE log_records ADD COLUMN uid TEXT");
  db.exec(LOG_UID_SQL);
}

/** Columns a search returns: the record and its source. */
export const RECORD_COLUMNS = `r.id, r.time, r.time_ns, r.observed, r.sev, r.sev_text, r.body, r.structured, r.attrs, r.trace_id, r.span_id, r.uid,
  s.node_id, s.host, s.container, s.container_id, s.resource, v.stack, v.service, v.swarm_service`;

export interface RecordRow {
  id: number;
  time: number;
  time_ns: number;
  observed: string | null;
  sev: number;
  sev_text: string | null;
  body: string;
  structured: number;
  attrs: string | null;
  trace_id: string | null;
  span_id: string | null;
  uid: string | null;
  node_id: string;
  host: string;
  container: string;
  container_id: string;
  resource: string;
  stack: string;
  service: string;
  swarm_service: string;
}
