import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { EnvelopeOf } from "../../protocol/index.js";
import { LogCounts, type LogCount, type RateFilter } from "./counts.js";
import { normalizeRecord, sourceOf, type RecordLimits, type Source } from "./record.js";
import { prepareLogSchema } from "./schema.js";
import { LogSearch, type LogFilter, type LogPage } from "./search.js";

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
  /** Most rows one `maintain()` call deletes, so it never holds the event loop long (10-230 µs a row here, more as the full-text index grows). Default 500. */
  maintainBatch?: number;
}

/** What one `append` did. */
export interface AppendOutcome {
  /** False when this agent message was stored before (a redelivery). */
  fresh: boolean;
  stored: number;
  /** Records refused because they were already older than the retention. */
  expired: number;
  /** Records not stored because their source already has one with the same uid (read and sent again). */
  repeated: number;
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
  /** Agent messages stored before (redelivered by JetStream). */
  duplicates: number;
  /** Records of new messages already stored under their uid (an agent read them again after a crash). */
  repeatedRecords: number;
}

/** Caches of source and service ids are dropped past this size (a hostile agent can name many). */
const MAX_CACHED_IDS = 50_000;

/**
 * Container log records, searchable: SQLite with an FTS5 index, in its own file. `append` stores
 * one agent message in one transaction and is idempotent by the message's (node, boot, seq), so
 * it may run before the state store commits: a redelivery after a crash in between stores nothing
 * twice. A record is kept once by its uid too (`log.record.uid`, unique within its source): the
 * lines an agent reads again after it was killed come in a new message but with the same uids.
 * Retention by age and by size runs in bounded steps (`maintain`), never in one long pause.
 */
export class LogStore {
  readonly options: Required<LogStoreOptions>;
  private readonly db: Database.Database;
  private readonly tally: LogCounts;
  private readonly search: LogSearch;
  private readonly limits: RecordLimits;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly sourceIds = new Map<string, number>();
  private readonly serviceIds = new Map<string, number>();
  private readonly stats_: LogStoreStats = { records: 0, bytes: 0, expired: 0, deletedByAge: 0, deletedBySize: 0, duplicates: 0, repeatedRecords: 0 };

  constructor(file: string, options: LogStoreOptions = {}) {
    this.options = {
      retentionMs: options.retentionMs ?? 7 * 86_400_000,
      maxBytes: options.maxBytes ?? 2 ** 30,
      maxBodyChars: options.maxBodyChars ?? 65_536,
      maxAttributesChars: options.maxAttributesChars ?? 16_384,
      maxAttributes: options.maxAttributes ?? 128,
      maxFutureSkewMs: options.maxFutureSkewMs ?? 300_000,
      maxCountSeries: options.maxCountSeries ?? 10_000,
      maintainBatch: options.maintainBatch ?? 500,
    };
    this.limits = { ...this.options };
    this.tally = new LogCounts(this.options.maxCountSeries);
    if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    // Must precede the first table: freed pages then go back to the file system, so maxBytes bounds the file.
    this.db.pragma("auto_vacuum = INCREMENTAL");
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    // Three indexes and the full-text index take inserts at scattered places: a larger page cache (64 MiB) keeps them in memory.
    this.db.pragma("cache_size = -65536");
    prepareLogSchema(this.db);
    this.search = new LogSearch((sql) => this.stmt(sql));
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
      if (batch.changes === 0) return { fresh: false, stored: 0, expired: 0, repeated: 0 };
      const insert = this.stmt(
        "INSERT INTO log_records (time, time_ns, observed, received, source, service, sev, sev_text, body, structured, attrs, trace_id, span_id, uid) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) " +
          "ON CONFLICT (source, uid) WHERE uid IS NOT NULL DO NOTHING",
      );
      const index = this.stmt("INSERT INTO log_fts (rowid, body) VALUES (?, ?)");
      let stored = 0;
      let expired = 0;
      let repeated = 0;
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
        const { changes, lastInsertRowid } = insert.run(r.time, r.timeNs, r.observed, receivedAt, sourceId, serviceId, r.severity, r.severityText, r.body, r.structured ? 1 : 0, r.attributes, r.traceId, r.spanId, r.uid);
        if (changes === 0) {
          repeated++;
          continue;
        }
        index.run(lastInsertRowid, r.body);
        pending.push({ key: { node: source.host, stack: source.stack, service: source.service, swarmService: source.swarmService }, severity: r.severity });
        stored++;
      }
      return { fresh: true, stored, expired, repeated };
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
    for (const p of pending) this.tally.add(p.key, p.severity, 1, receivedAt);
    this.stats_.records += outcome.stored;
    this.stats_.expired += outcome.expired;
    this.stats_.repeatedRecords += outcome.repeated;
    if (!outcome.fresh) this.stats_.duplicates++;
    return outcome;
  }

  /** Records matching the filter: newest first, or oldest first after a tail cursor. */
  query(f: LogFilter): LogPage {
    return this.search.query(f);
  }

  /** Record counts by node, stack, service and severity range since start (for `vigie_log_records_total`). */
  counts(): LogCount[] {
    return this.tally.list();
  }

  /** Records per second received over a window (≤ 1 h), for alert rules such as an error rate. */
  rate(filter: RateFilter, windowMs: number, now: number): number {
    return this.tally.rate(filter, windowMs, now);
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
