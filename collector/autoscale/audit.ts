import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Logger } from "../../lib/index.js";
import type { Direction, Reason } from "./decide.js";

/** One decision of the autoscaler about one service, with what it was based on. */
export interface AutoscaleEvent {
  id: number;
  /** When the decision was first taken (Unix ms). */
  time: number;
  /** When the same decision was last repeated: a hold repeated every evaluation is one event with a count. */
  lastTime: number;
  count: number;
  service: string;
  reason: Reason;
  direction: Direction;
  from: number;
  to: number;
  dryRun: boolean;
  message: string;
  /** What the decision was based on: metric, observed, target, ratio, recommendation, tasks counted, … */
  inputs: Record<string, unknown>;
}

export type NewEvent = Omit<AutoscaleEvent, "id" | "count" | "lastTime">;
export type EventListener = (event: AutoscaleEvent) => void;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS autoscale_events (
  id INTEGER PRIMARY KEY,
  time INTEGER NOT NULL,
  last_time INTEGER NOT NULL,
  count INTEGER NOT NULL,
  service TEXT NOT NULL,
  reason TEXT NOT NULL,
  direction TEXT NOT NULL,
  from_replicas INTEGER NOT NULL,
  to_replicas INTEGER NOT NULL,
  dry_run INTEGER NOT NULL,
  message TEXT NOT NULL,
  inputs TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS autoscale_events_service ON autoscale_events (service, id);
`;

/** Reasons that are an action (or an attempt at one): never folded into the previous event. */
const ACTIONS = new Set<Reason>(["scaled", "dry_run", "failed"]);

interface Row {
  id: number;
  time: number;
  last_time: number;
  count: number;
  service: string;
  reason: string;
  direction: string;
  from_replicas: number;
  to_replicas: number;
  dry_run: number;
  message: string;
  inputs: string;
}

/**
 * The autoscaler's audit trail: every decision, taken or not, with its inputs and reason. The
 * latest are kept in a bounded ring (the API's default answer); with a file, all of them are
 * written to SQLite, trimmed to a bound, and survive restarts. A hold repeated evaluation after
 * evaluation (same reason, same counts) is one event whose count and last time grow, so the
 * trail says "held by stabilization 40 times from 10:02 to 10:12" rather than 40 lines.
 * Listeners hear every new event (the hook for routing scale events to alert receivers).
 */
export class AuditTrail {
  private readonly ring: AutoscaleEvent[] = [];
  private readonly lastByService = new Map<string, AutoscaleEvent>();
  private readonly listeners = new Set<EventListener>();
  private readonly db: Database.Database | undefined;
  private nextId = 1;
  private inserted = 0;

  constructor(private readonly options: { file?: string; inMemory?: number; onDisk?: number; log?: Logger } = {}) {
    if (options.file) {
      if (options.file !== ":memory:") mkdirSync(path.dirname(options.file), { recursive: true });
      this.db = new Database(options.file);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = NORMAL");
      this.db.exec(SCHEMA);
      const rows = this.db.prepare("SELECT * FROM autoscale_events ORDER BY id DESC LIMIT ?").all(this.capacity) as Row[];
      for (const r of rows.reverse()) this.keep(fromRow(r));
      this.nextId = ((this.db.prepare("SELECT MAX(id) AS id FROM autoscale_events").get() as { id: number | null }).id ?? 0) + 1;
    }
  }

  private get capacity(): number {
    return this.options.inMemory ?? 1000;
  }

  /** Records a decision; returns the event (a new one, or the previous one repeated). */
  record(e: NewEvent): AutoscaleEvent {
    const prev = this.lastByService.get(e.service);
    if (prev && !ACTIONS.has(e.reason) && prev.reason === e.reason && prev.direction === e.direction && prev.from === e.from && prev.to === e.to) {
      prev.count++;
      prev.lastTime = e.time;
      prev.message = e.message;
      prev.inputs = e.inputs;
      this.write(() => this.db?.prepare("UPDATE autoscale_events SET count = ?, last_time = ?, message = ?, inputs = ? WHERE id = ?").run(prev.count, prev.lastTime, prev.message, JSON.stringify(prev.inputs), prev.id));
      return prev;
    }
    const event: AutoscaleEvent = { ...e, id: this.nextId++, count: 1, lastTime: e.time };
    this.keep(event);
    this.write(() => {
      this.db
        ?.prepare("INSERT INTO autoscale_events (id, time, last_time, count, service, reason, direction, from_replicas, to_replicas, dry_run, message, inputs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .run(event.id, event.time, event.lastTime, event.count, event.service, event.reason, event.direction, event.from, event.to, event.dryRun ? 1 : 0, event.message, JSON.stringify(event.inputs));
      if (++this.inserted % 1000 === 0) this.db?.prepare("DELETE FROM autoscale_events WHERE id <= ?").run(event.id - (this.options.onDisk ?? 100_000));
    });
    for (const l of this.listeners) {
      try {
        l(event);
      } catch (err) {
        this.options.log?.warn({ err: (err as Error).message }, "autoscale event listener failed");
      }
    }
    return event;
  }

  /** Events, newest first: from disk when there is one (the whole trail), else from memory. */
  list(q: { service?: string; since?: number; limit?: number; reason?: Reason } = {}): AutoscaleEvent[] {
    const limit = Math.max(1, Math.min(q.limit ?? 100, 10_000));
    if (this.db) {
      const where: string[] = [];
      const args: (string | number)[] = [];
      const add = (clause: string, arg: string | number) => {
        where.push(clause);
        args.push(arg);
      };
      if (q.service) add("service = ?", q.service);
      if (q.since !== undefined) add("last_time >= ?", q.since);
      if (q.reason) add("reason = ?", q.reason);
      const sql = `SELECT * FROM autoscale_events ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ?`;
      return (this.db.prepare(sql).all(...args, limit) as Row[]).map(fromRow);
    }
    const out: AutoscaleEvent[] = [];
    for (let i = this.ring.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.ring[i] as AutoscaleEvent;
      if ((!q.service || e.service === q.service) && (q.since === undefined || e.lastTime >= q.since) && (!q.reason || e.reason === q.reason)) out.push({ ...e });
    }
    return out;
  }

  /** The latest decision about a service. */
  last(service: string): AutoscaleEvent | undefined {
    return this.lastByService.get(service);
  }

  /** Hears every new event; returns the function that stops it. A listener that throws is logged, never fatal. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.db?.close();
  }

  private keep(e: AutoscaleEvent): void {
    this.ring.push(e);
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
    this.lastByService.set(e.service, e);
  }

  private write(run: () => void): void {
    try {
      run();
    } catch (err) {
      // The decision stands and stays in memory; the disk trail misses it, and says so.
      this.options.log?.error({ err: (err as Error).message }, "autoscale audit trail write failed");
    }
  }
}

function fromRow(r: Row): AutoscaleEvent {
  let inputs: Record<string, unknown> = {};
  try {
    inputs = JSON.parse(r.inputs) as Record<string, unknown>;
  } catch {
    // kept empty
  }
  return {
    id: r.id,
    time: r.time,
    lastTime: r.last_time,
    count: r.count,
    service: r.service,
    reason: r.reason as Reason,
    direction: r.direction as Direction,
    from: r.from_replicas,
    to: r.to_replicas,
    dryRun: r.dry_run === 1,
    message: r.message,
    inputs,
  };
}
