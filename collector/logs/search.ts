import type Database from "better-sqlite3";
import type { PageCursor } from "./cursor.js";
import { joinNanos, RECORD_UID_ATTR } from "./record.js";
import { RECORD_COLUMNS, type RecordRow } from "./schema.js";
import { severityRange, type SeverityRange } from "./severity.js";

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

/** More distinct services than this in one search are matched in one scan instead of one index walk each. */
const MAX_SERVICE_WALKS = 64;
/** Fewer matches than this and a full-text search starts from its matches rather than from the newest rows. */
const SPARSE_MATCHES = 5000;

/**
 * The read side of the log store: a filter becomes a page. The page's positions (id, time) are
 * chosen from the indexes alone where possible — one walk per service, merged — and only then
 * are its records read with their source and service.
 */
export class LogSearch {
  constructor(private readonly stmt: (sql: string) => Database.Statement) {}

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
  if (r.uid) out.attributes = { ...out.attributes, [RECORD_UID_ATTR]: r.uid };
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
