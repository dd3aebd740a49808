import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { EnvelopeOf } from "../../protocol/index.js";
import { LogCounts, type LogCount, type RateFilter } from "./counts.js";
import type { PageCursor } from "./cursor.js";
import { joinNanos, normalizeRecord, sourceOf, type RecordLimits, type Source } from "./record.js";
import { LOG_SCHEMA_SQL, RECORD_COLUMNS, type RecordRow } from "./schema.js";
import { severityRange, type SeverityRange } from "./severity.js";

/** How the log store keeps and bounds records. Every field has a default. */
export interface LogStoreOptions {
  /** How long records are kept, by their time, in ms. Default 7 days (`collector.logs.retention`). */
  retentionMs?: number;
  /** Most bytes the database may use; past it the oldest records go. Default 1 GiB (`collector.logs.maxBytes`). */
  maxBytes?: number;
  /** Longest body kept, in characters; longer is cut and flagged `log.truncated`. Default 65,536. */
  maxBodyChars?: number;
  /** Most characters of a record's attributes as JSON; past it they are dropped and counted. Default 16,384. */
  maxAttributesChars?: number;
  /** Most attributes per record. Default 128. */
  maxAttributes?: number;
  /** How far ahead of the collector's clock a record's time may be; past it the receive time is used. Default 5 min. */
  maxFutureSkewMs?: number;
  /** Most (node, stack, service, severity) counts kept for metrics and rates. Default 10,000. */
  maxCountSeries?: number;
  /** Most rows one `maintain()` call deletes, so it never holds the event loop long (~40 µs a row here). Default 2,000. */
  maintainBatch?: number;
}

/** What one `append` did. */
export interface AppendOutcome {
  /** False when this agent message was stored before (a redelivery). */
  fresh: boolean;
  stored: number;
  /** Records refused because they were already older than the retention. */
  expired: number;
}

/** A search over stored records. Every filter is optional; results come newest first. */
export interface LogFilter {
  /** Node id or hostname. */
  node?: string;
  stack?: string;
  /** `service.name` (`web`) or the Swarm service name (`shop_web`). */
  service?: string;
  /** Container name, id, or an id prefix of at least 12 characters. */
  container?: string;
  /** Minimum severity number (17 = errors). */
  minSeverity?: number;
  /** Unix ms, inclusive. */
  since?: number;
  /** Unix ms, inclusive. */
  until?: number;
  /** A sanitized FTS5 query (see `ftsQuery`). */
  match?: string;
  /** Stacks the asker may see; undefined = all. Records of no stack are outside every limited set. */
  stacks?: ReadonlySet<string>;
  /** Continue a newest-first page strictly before this position. */
  cursor?: PageCursor;
  /** Tail mode: records stored after this id, oldest first (for following). */
  after?: number;
  limit: number;
}

/** A stored record as the API returns it. */
export interface StoredLog {
  time: string;
  timeUnixNano: string;
  observedTimeUnixNano?: string;
  node: string;
  nodeId: string;
  stack: string | null;
  service: string | null;
  swarmService: string | null;
  container: string | null;
  containerId: string | null;
  severityNumber: number;
  severity: SeverityRange;
  severityText?: string;
  body: unknown;
  attributes?: Record<string, unknown>;
  resource: Record<string, unknown>;
  traceId?: string;
  spanId?: string;
}

export interface LogPage {
  records: StoredLog[];
  /** Position after the last record of a full newest-first page; absent when there is no more. */
  next?: PageCursor;
  /** Highest record id seen: ask `after` it for what arrives later. */
  tail: number;
}

export interface MaintainOutcome {
  deletedByAge: number;
  deletedBySize: number;
  /** True when the budget ran out before the store was within its bounds: call again soon. */
  more: boolean;
}

export interface LogStoreStats {
  /** Records stored now (kept up to date by append and maintain). */
  records: number;
  /** Bytes of the database in use (pages not on the free list). */
  bytes: number;
  expired: number;
  deletedByAge: number;
  deletedBySize: number;
  duplicates: number;
}

/** More distinct services than this in one search are matched in one scan instead of one index walk each. */
const MAX_SERVICE_WALKS = 64;
/** Fewer matches than this and a full-text search starts from its matches rather than from the newest rows. */
const SPARSE_MATCHES = 5000;
/** Caches of source and service ids are dropped past this size (a hostile agent can name many). */
const MAX_CACHED_IDS = 50_000;

/**
 * Container log records, searchable: SQLite with an FTS5 index, in its own file. `append` stores
 * one agent message in one transaction and is idempotent by the message's (node, boot, seq), so
 * it may run before the state store commits: a redelivery after a crash in between stores nothing
 * twice. Retention by age and by size runs in bounded steps (`maintain`), never in one long pause.
 */
export class LogStore {
  readonly options: Required<LogStoreOptions>;
  private readonly db: Database.Database;
  private readonly counts: LogCounts;
  private readonly limits: RecordLimits;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly sourceIds = new Map<string, number>();
  private readonly serviceIds = new Map<string, number>();
  private readonly stats_: LogStoreStats = { records: 0, bytes: 0, expired: 0, deletedByAge: 0, deletedBySize: 0, duplicates: 0 };

  constructor(file: string, options: LogStoreOptions = {}) {
    this.options = {
      retentionMs: options.retentionMs ?? 7 * 86_400_000,
      maxBytes: options.maxBytes ?? 2 ** 30,
      maxBodyChars: options.maxBodyChars ?? 65_536,
      maxAttributesChars: options.maxAttributesChars ?? 16_384,
      maxAttributes: options.maxAttributes ?? 128,
      maxFutureSkewMs: options.maxFutureSkewMs ?? 300_000,
      maxCountSeries: options.maxCountSeries ?? 10_000,
      maintainBatch: options.maintainBatch ?? 2000,
    };
    this.limits = { ...this.options };
    this.counts = new LogCounts(this.options.maxCountSeries);
    if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    // Must precede the first table: freed pages then go back to the file system, so maxBytes bounds the file.
    this.db.pragma("auto_vacuum = INCREMENTAL");
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    // Three indexes and the full-text index take inserts at scattered places: a larger page cache (64 MiB) keeps them in memory.
    this.db.pragma("cache_size = -65536");
    this.db.exec(LOG_SCHEMA_SQL);
    this.stats_.records = (this.db.prepare("SELECT count(*) AS n FROM log_records").get() as { n: number }).n;
  }

  /**
   * Stores the records of one `logs` message, atomically, before the message is acknowledged.
   * Throws on a storage failure (disk full): the caller leaves the message for redelivery.
   */
  append(env: EnvelopeOf<"logs">, receivedAt: number): AppendOutcome {
    const pending: { key: { node: string; stack: string; service: string; swarmService: string }; severity: number }[] = [];
    const run = this.db.transaction((): AppendOutcome => {
      const batch = this.stmt("INSERT OR IGNORE INTO log_batches (node_id, boot_id, seq, received) VALUES (?, ?, ?, ?)").run(env.node.id, env.agent.bootId, env.agent.seq, receivedAt);
      if (batch.changes === 0) return { fresh: false, stored: 0, expired: 0 };
      const insert = this.stmt(
        "INSERT INTO log_records (time, time_ns, observed, received, source, service, sev, sev_text, body, structured, attrs, trace_id, span_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      );
      const index = this.stmt("INSERT INTO log_fts (rowid, body) VALUES (?, ?)");
      let stored = 0;
      let expired = 0;
      for (const rec of env.payload.records) {
        const n = normalizeRecord(rec, receivedAt, this.limits);
        if (!n.ok) {
          expired++;
          continue;
        }
        const source = sourceOf(rec.resource, env.node);
        const serviceId = this.serviceId(source);
        const sourceId = this.sourceId(source, serviceId);
        const r = n.row;
        const { lastInsertRowid } = insert.run(r.time, r.timeNs, r.observed, receivedAt, sourceId, serviceId, r.severity, r.severityText, r.body, r.structured ? 1 : 0, r.attributes, r.traceId, r.spanId);
        index.run(lastInsertRowid, r.body);
        pending.push({ key: { node: source.host, stack: source.stack, service: source.service, swarmService: source.swarmService }, severity: r.severity });
        stored++;
      }
      return { fresh: true, stored, expired };
    });
    let outcome: AppendOutcome;
    try {
      outcome = run();
    } catch (err) {
      // The ids cached inside the rolled-back transaction may not exist.
      this.sourceIds.clear();
      this.serviceIds.clear();
      throw err;
    }
    // Counted once durable: a rolled-back message is counted when it comes again.
    for (const p of pending) this.counts.add(p.key, p.severity, 1, receivedAt);
    this.stats_.records += outcome.stored;
    this.stats_.expired += outcome.expired;
    if (!outcome.fresh) this.stats_.duplicates++;
    return outcome;
  }

  /** Records matching the filter: newest first, or oldest first after a tail cursor. */
  query(f: LogFilter): LogPage {
    const limit = Math.max(1, Math.min(f.limit, 10_000));
    const tail = (this.stmt("SELECT seq FROM sqlite_sequence WHERE name = 'log_records'").get() as { seq: number } | undefined)?.seq ?? 0;
    const services = this.serviceFilter(f);
    if (services && services.length === 0) return { records: [], tail: Math.max(tail, f.after ?? 0) };
    const sources = this.sourceFilter(f);
    if (sources && sources.length === 0) return { records: [], tail: Math.max(tail, f.after ?? 0) };

    const conds: string[] = [];
    const params: unknown[] = [];
    if (f.minSeverity !== undefined && f.minSeverity > 0) {
      // Errors are written out as a constant so the planner may use the errors-only index, and
      // exactly `error` then needs no other check: the index alone answers (no row is read).
      if (f.minSeverity >= 17) conds.push("r.sev >= 17");
      if (f.minSeverity !== 17) {
        conds.push("r.sev >= ?");
        params.push(f.minSeverity);
      }
    }
    if (f.since !== undefined) {
      conds.push("r.time >= ?");
      params.push(f.since);
    }
    if (f.until !== undefined) {
      conds.push("r.time <= ?");
      params.push(f.until);
    }
    if (sources) {
      conds.push("r.source IN (SELECT value FROM json_each(?))");
      params.push(JSON.stringify(sources));
    }
    // A search for a rare word is driven by its matches (few rows to sort); a common word is only a
    // check on rows the indexes give newest first (`+` keeps SQLite from driving by the matches).
    const sparse = f.match !== undefined && f.after === undefined && this.matchCount(f.match) < SPARSE_MATCHES;
    if (f.match !== undefined) {
      conds.push(`${sparse ? "" : "+"}r.id IN (SELECT rowid FROM log_fts WHERE log_fts MATCH ?)`);
      params.push(f.match);
    }

    if (f.after !== undefined) {
      const all = [...conds, "r.id > ?"];
      const p = [...params, f.after];
      if (services) {
        all.push("r.service IN (SELECT value FROM json_each(?))");
        p.push(JSON.stringify(services));
      }
      all.push("r.id <= ?");
      p.push(tail);
      const rows = this.select(all, "r.id ASC", p, limit);
      // A short answer examined everything up to `tail`: the next poll starts there, not at the last match.
      return { records: rows.map(toStored), tail: rows.length === limit ? (rows.at(-1)?.id ?? f.after) : Math.max(tail, f.after) };
    }

    if (f.cursor) {
      conds.push("r.time <= ? AND (r.time < ? OR r.id < ?)");
      params.push(f.cursor.time, f.cursor.time, f.cursor.id);
    }
    // First the positions (id, time) of the page, from the indexes alone where possible; then the records.
    let keys: { id: number; time: number }[];
    if (services && services.length <= MAX_SERVICE_WALKS && !sparse) {
      // One index walk per service, merged: `service IN (…) ORDER BY time` would read every line of them and sort.
      keys = services
        .flatMap((id) => this.selectKeys(["r.service = ?", ...conds], [id, ...params], limit))
        .sort((a, b) => b.time - a.time || b.id - a.id)
        .slice(0, limit);
    } else {
      const all = services ? [...conds, "r.service IN (SELECT value FROM json_each(?))"] : conds;
      keys = this.selectKeys(all, services ? [...params, JSON.stringify(services)] : params, limit);
    }
    const rows = keys.length === 0 ? [] : this.select(["r.id IN (SELECT value FROM json_each(?))"], "r.time DESC, r.id DESC", [JSON.stringify(keys.map((k) => k.id))], limit);
    const last = keys.at(-1);
    return { records: rows.map(toStored), next: rows.length === limit && last ? { time: last.time, id: last.id } : undefined, tail };
  }

  /** Record counts by node, stack, service and severity range since start (for `vigie_log_records_total`). */
  countsBySeries(): LogCount[] {
    return this.counts.list();
  }

  /** Records per second received over a window (≤ 1 h), for alert rules such as an error rate. */
  rate(filter: RateFilter, windowMs: number, now: number): number {
    return this.counts.rate(filter, windowMs, now);
  }

  stats(): LogStoreStats {
    return { ...this.stats_, bytes: this.usedBytes() };
  }

  /**
   * Applies retention: records older than `retentionMs` go, then the oldest until the database
   * uses at most `maxBytes`; freed pages are returned to the file system. Deletes at most
   * `maintainBatch` rows per call and says when more is left; call it periodically.
   */
  maintain(now: number): MaintainOutcome {
    const budget = this.options.maintainBatch;
    const byAge = this.db.transaction(() => {
      const ids = (this.stmt("SELECT id FROM log_records WHERE time < ? ORDER BY time LIMIT ?").all(now - this.options.retentionMs, budget) as { id: number }[]).map((r) => r.id);
      this.deleteIds(ids);
      this.stmt("DELETE FROM log_batches WHERE received < ?").run(now - this.options.retentionMs);
      return ids.length;
    })();
    let bySize = 0;
    let over = this.usedBytes() - this.options.maxBytes;
    while (over > 0 && bySize + byAge < budget && this.stats_.records > 0) {
      const perRow = this.usedBytes() / Math.max(1, this.stats_.records);
      // A little more than the excess, since freed pages are partly full; at least 100 rows per step.
      const n = Math.min(budget - bySize - byAge, Math.max(100, Math.ceil((over / perRow) * 1.1)));
      const deleted = this.db.transaction(() => {
        const ids = (this.stmt("SELECT id FROM log_records ORDER BY id LIMIT ?").all(n) as { id: number }[]).map((r) => r.id);
        this.deleteIds(ids);
        return ids.length;
      })();
      if (deleted === 0) break;
      bySize += deleted;
      over = this.usedBytes() - this.options.maxBytes;
    }
    if (byAge + bySize > 0) this.db.pragma("incremental_vacuum");
    this.stats_.deletedByAge += byAge;
    this.stats_.deletedBySize += bySize;
    const moreAge = byAge === budget;
    return { deletedByAge: byAge, deletedBySize: bySize, more: moreAge || (over > 0 && this.stats_.records > 0) };
  }

  close(): void {
    this.db.close();
  }

  private deleteIds(ids: number[]): void {
    if (ids.length === 0) return;
    const list = JSON.stringify(ids);
    this.stmt("DELETE FROM log_fts WHERE rowid IN (SELECT value FROM json_each(?))").run(list);
    const { changes } = this.stmt("DELETE FROM log_records WHERE id IN (SELECT value FROM json_each(?))").run(list);
    this.stats_.records = Math.max(0, this.stats_.records - changes);
  }

  private usedBytes(): number {
    const pages = this.db.pragma("page_count", { simple: true }) as number;
    const free = this.db.pragma("freelist_count", { simple: true }) as number;
    const size = this.db.pragma("page_size", { simple: true }) as number;
    return (pages - free) * size;
  }

  /** Matches of a full-text query, counted up to SPARSE_MATCHES. */
  private matchCount(match: string): number {
    return (this.stmt(`SELECT count(*) AS n FROM (SELECT rowid FROM log_fts WHERE log_fts MATCH ? LIMIT ${SPARSE_MATCHES})`).get(match) as { n: number }).n;
  }

  private selectKeys(conds: string[], params: unknown[], limit: number): { id: number; time: number }[] {
    const sql = `SELECT r.id, r.time FROM log_records r ${conds.length ? `WHERE ${conds.join(" AND ")}` : ""} ORDER BY r.time DESC, r.id DESC LIMIT ?`;
    return this.stmt(sql).all(...params, limit) as { id: number; time: number }[];
  }

  private select(conds: string[], order: string, params: unknown[], limit: number): RecordRow[] {
    const sql = `SELECT ${RECORD_COLUMNS} FROM log_records r CROSS JOIN log_sources s ON s.id = r.source CROSS JOIN log_services v ON v.id = r.service
      ${conds.length ? `WHERE ${conds.join(" AND ")}` : ""} ORDER BY ${order} LIMIT ?`;
    return this.stmt(sql).all(...params, limit) as RecordRow[];
  }

  /** Service ids a search is limited to (by service, stack or the asker's stacks); undefined = no limit. */
  private serviceFilter(f: LogFilter): number[] | undefined {
    if (f.service === undefined && f.stack === undefined && f.stacks === undefined) return undefined;
    const conds: string[] = [];
    const params: unknown[] = [];
    if (f.service !== undefined) {
      conds.push("(service = ? OR swarm_service = ?)");
      params.push(f.service, f.service);
    }
    if (f.stack !== undefined) {
      conds.push("stack = ?");
      params.push(f.stack);
    }
    if (f.stacks !== undefined) {
      conds.push("stack IN (SELECT value FROM json_each(?))");
      params.push(JSON.stringify([...f.stacks]));
    }
    return (this.stmt(`SELECT id FROM log_services WHERE ${conds.join(" AND ")} ORDER BY id`).all(...params) as { id: number }[]).map((r) => r.id);
  }

  /** Source ids a search is limited to (by node or container); undefined = no limit. */
  private sourceFilter(f: LogFilter): number[] | undefined {
    if (f.node === undefined && f.container === undefined) return undefined;
    const conds: string[] = [];
    const params: unknown[] = [];
    if (f.node !== undefined) {
      conds.push("(node_id = ? OR host = ?)");
      params.push(f.node, f.node);
    }
    if (f.container !== undefined) {
      const prefix = f.container.length >= 12 && /^[0-9a-f]+$/.test(f.container);
      conds.push(prefix ? "(container = ? OR substr(container_id, 1, ?) = ?)" : "(container = ? OR container_id = ?)");
      params.push(f.container, ...(prefix ? [f.container.length, f.container] : [f.container]));
    }
    return (this.stmt(`SELECT id FROM log_sources WHERE ${conds.join(" AND ")}`).all(...params) as { id: number }[]).map((r) => r.id);
  }

  private serviceId(s: Source): number {
    const key = `${s.stack}\u0000${s.service}\u0000${s.swarmService}`;
    const cached = this.serviceIds.get(key);
    if (cached !== undefined) return cached;
    this.stmt("INSERT OR IGNORE INTO log_services (stack, service, swarm_service) VALUES (?, ?, ?)").run(s.stack, s.service, s.swarmService);
    const id = (this.stmt("SELECT id FROM log_services WHERE stack = ? AND service = ? AND swarm_service = ?").get(s.stack, s.service, s.swarmService) as { id: number }).id;
    if (this.serviceIds.size >= MAX_CACHED_IDS) this.serviceIds.clear();
    this.serviceIds.set(key, id);
    return id;
  }

  private sourceId(s: Source, serviceId: number): number {
    const key = `${s.nodeId}\u0000${s.host}\u0000${s.resource}`;
    const cached = this.sourceIds.get(key);
    if (cached !== undefined) return cached;
    this.stmt("INSERT OR IGNORE INTO log_sources (key, node_id, host, service, container, container_id, resource) VALUES (?, ?, ?, ?, ?, ?, ?)").run(
      key, s.nodeId, s.host, serviceId, s.container, s.containerId, s.resource,
    );
    const id = (this.stmt("SELECT id FROM log_sources WHERE key = ?").get(key) as { id: number }).id;
    if (this.sourceIds.size >= MAX_CACHED_IDS) this.sourceIds.clear();
    this.sourceIds.set(key, id);
    return id;
  }

  /** Statements by SQL text; searches have a bounded number of shapes. */
  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }
}

function toStored(r: RecordRow): StoredLog {
  const out: StoredLog = {
    time: new Date(r.time).toISOString(),
    timeUnixNano: joinNanos(r.time, r.time_ns),
    node: r.host,
    nodeId: r.node_id,
    stack: r.stack || null,
    service: r.service || null,
    swarmService: r.swarm_service || null,
    container: r.container || null,
    containerId: r.container_id || null,
    severityNumber: r.sev,
    severity: severityRange(r.sev),
    body: r.structured ? parse(r.body) : r.body,
    resource: parse(r.resource) as Record<string, unknown>,
  };
  if (r.observed) out.observedTimeUnixNano = r.observed;
  if (r.sev_text) out.severityText = r.sev_text;
  if (r.attrs) out.attributes = parse(r.attrs) as Record<string, unknown>;
  if (r.trace_id) out.traceId = r.trace_id;
  if (r.span_id) out.spanId = r.span_id;
  return out;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
