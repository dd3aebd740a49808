import Database from "better-sqlite3";
import type { LabelMatcher, Labels } from "./matchers.js";
import type { AlertInstance, Transition } from "./state.js";

/** A silence: matchers and a time range; while active, matching alerts send nothing. */
export interface Silence {
  id: string;
  matchers: LabelMatcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  createdAt: number;
}

/** What was last sent to a receiver for a group (Alertmanager's notification log). */
export interface NotifyLogEntry {
  firing: string[];
  resolved: string[];
  missing: string[];
  sentAt: number;
}

export interface HistoryRow extends Transition {
  id: number;
}

export interface DeliveryRecord {
  at: number;
  receiver: string;
  groupKey: string;
  outcome: "sent" | "failed";
  attempts: number;
  error?: string;
}

/** Bounds: the history and the delivery records are trimmed to these. */
export const STORE_LIMITS = { historyRows: 100_000, deliveryRows: 10_000 } as const;

/**
 * Alert state on disk (SQLite): open alerts, their history, silences, the notification log and
 * the record of deliveries. A collector restart reads it back, so an open alert is neither sent
 * again nor forgotten.
 */
export class AlertStore {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS alert_instances (rule TEXT NOT NULL, fingerprint TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (rule, fingerprint));
      CREATE TABLE IF NOT EXISTS alert_history (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, rule TEXT NOT NULL, fingerprint TEXT NOT NULL,
        labels TEXT NOT NULL, from_state TEXT NOT NULL, to_state TEXT NOT NULL, value REAL, reason TEXT);
      CREATE INDEX IF NOT EXISTS alert_history_at ON alert_history (at);
      CREATE TABLE IF NOT EXISTS silences (id TEXT PRIMARY KEY, data TEXT NOT NULL, ends_at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS notify_log (receiver TEXT NOT NULL, group_key TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (receiver, group_key));
      CREATE TABLE IF NOT EXISTS notify_deliveries (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, receiver TEXT NOT NULL, group_key TEXT NOT NULL,
        outcome TEXT NOT NULL, attempts INTEGER NOT NULL, error TEXT);
    `);
    this.stmts = {
      allInstances: this.db.prepare("SELECT data FROM alert_instances"),
      putInstance: this.db.prepare("INSERT OR REPLACE INTO alert_instances (rule, fingerprint, data) VALUES (?, ?, ?)"),
      clearInstances: this.db.prepare("DELETE FROM alert_instances"),
      addHistory: this.db.prepare("INSERT INTO alert_history (at, rule, fingerprint, labels, from_state, to_state, value, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
      trimHistory: this.db.prepare("DELETE FROM alert_history WHERE id <= (SELECT max(id) FROM alert_history) - ?"),
      history: this.db.prepare("SELECT * FROM alert_history WHERE at >= ? AND at <= ? ORDER BY id DESC LIMIT ?"),
      putSilence: this.db.prepare("INSERT OR REPLACE INTO silences (id, data, ends_at) VALUES (?, ?, ?)"),
      silences: this.db.prepare("SELECT data FROM silences ORDER BY ends_at DESC"),
      dropSilences: this.db.prepare("DELETE FROM silences WHERE ends_at < ?"),
      getLog: this.db.prepare("SELECT data FROM notify_log WHERE receiver = ? AND group_key = ?"),
      putLog: this.db.prepare("INSERT OR REPLACE INTO notify_log (receiver, group_key, data) VALUES (?, ?, ?)"),
      addDelivery: this.db.prepare("INSERT INTO notify_deliveries (at, receiver, group_key, outcome, attempts, error) VALUES (?, ?, ?, ?, ?, ?)"),
      trimDeliveries: this.db.prepare("DELETE FROM notify_deliveries WHERE id <= (SELECT max(id) FROM notify_deliveries) - ?"),
      deliveries: this.db.prepare("SELECT * FROM notify_deliveries ORDER BY id DESC LIMIT ?"),
    };
  }

  /** The open alerts as last saved: rule → fingerprint → instance. */
  loadInstances(): Map<string, Map<string, AlertInstance>> {
    const out = new Map<string, Map<string, AlertInstance>>();
    for (const row of this.stmts.allInstances.all() as { data: string }[]) {
      const inst = JSON.parse(row.data) as AlertInstance;
      let m = out.get(inst.rule);
      if (!m) out.set(inst.rule, (m = new Map<string, AlertInstance>()));
      m.set(inst.fingerprint, inst);
    }
    return out;
  }

  /** Replaces the open alerts and appends the transitions, in one transaction. */
  saveEvaluation(state: ReadonlyMap<string, ReadonlyMap<string, AlertInstance>>, transitions: readonly Transition[]): void {
    this.db.transaction(() => {
      this.stmts.clearInstances.run();
      for (const m of state.values()) for (const i of m.values()) this.stmts.putInstance.run(i.rule, i.fingerprint, JSON.stringify(i));
      for (const t of transitions) this.stmts.addHistory.run(t.at, t.rule, t.fingerprint, JSON.stringify(t.labels), t.from, t.to, Number.isFinite(t.value) ? t.value : null, t.reason ?? null);
      if (transitions.length > 0) this.stmts.trimHistory.run(STORE_LIMITS.historyRows);
    })();
  }

  history(from: number, to: number, limit: number): HistoryRow[] {
    return (this.stmts.history.all(from, to, limit) as { id: number; at: number; rule: string; fingerprint: string; labels: string; from_state: string; to_state: string; value: number | null; reason: string | null }[]).map((r) => ({
      id: r.id,
      at: r.at,
      rule: r.rule,
      fingerprint: r.fingerprint,
      labels: JSON.parse(r.labels) as Labels,
      from: r.from_state as Transition["from"],
      to: r.to_state as Transition["to"],
      value: r.value ?? Number.NaN,
      ...(r.reason ? { reason: r.reason } : {}),
    }));
  }

  putSilence(s: Silence): void {
    this.stmts.putSilence.run(s.id, JSON.stringify(s), s.endsAt);
  }

  /** Every silence not expired before `keepAfter` (older ones are deleted). */
  silences(keepAfter: number): Silence[] {
    this.stmts.dropSilences.run(keepAfter);
    return (this.stmts.silences.all() as { data: string }[]).map((r) => JSON.parse(r.data) as Silence);
  }

  notifyLog(receiver: string, groupKey: string): NotifyLogEntry | undefined {
    const row = this.stmts.getLog.get(receiver, groupKey) as { data: string } | undefined;
    return row ? (JSON.parse(row.data) as NotifyLogEntry) : undefined;
  }

  putNotifyLog(receiver: string, groupKey: string, entry: NotifyLogEntry): void {
    this.stmts.putLog.run(receiver, groupKey, JSON.stringify(entry));
  }

  recordDelivery(d: DeliveryRecord): void {
    this.stmts.addDelivery.run(d.at, d.receiver, d.groupKey, d.outcome, d.attempts, d.error ?? null);
    this.stmts.trimDeliveries.run(STORE_LIMITS.deliveryRows);
  }

  deliveries(limit: number): DeliveryRecord[] {
    return (this.stmts.deliveries.all(limit) as { at: number; receiver: string; group_key: string; outcome: "sent" | "failed"; attempts: number; error: string | null }[]).map((r) => ({
      at: r.at,
      receiver: r.receiver,
      groupKey: r.group_key,
      outcome: r.outcome,
      attempts: r.attempts,
      ...(r.error ? { error: r.error } : {}),
    }));
  }

  close(): void {
    this.db.close();
  }
}
