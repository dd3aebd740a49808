import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Envelope } from "../../protocol/index.js";
import type { NodeState } from "./nodes.js";
import { emptySequence, missingCount, observeSequence, type SequenceState } from "./sequence.js";

export interface MessageAccounting {
  received: number;
  duplicates: number;
  missing: number;
}

export type AcceptOutcome = { accepted: true; node: NodeState } | { accepted: false; reason: "duplicate" };

/**
 * Applies an accepted envelope: returns the node's state after it, and may update other stores.
 * Runs inside the store's transaction, so a throw leaves the message unrecorded (it is redelivered).
 */
export type ApplyMessage = (prev: NodeState | undefined) => NodeState;

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS nodes (
  id TEXT PRIMARY KEY,
  state TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS agent_sequences (
  node_id TEXT NOT NULL,
  boot_id TEXT NOT NULL,
  state TEXT NOT NULL,
  updated INTEGER NOT NULL,
  PRIMARY KEY (node_id, boot_id)
);
`;

/**
 * What the collector knows of each node (its identity, when it was last heard from, its host's
 * CPU and memory) and of each agent boot's message numbers, in memory and written through to
 * SQLite so that a restart finds it again. Every message is applied and its sequence number
 * recorded in one transaction, before it is acknowledged: a redelivered message is known as a
 * duplicate. What a message means is not its business: the model (`collector/model/`) says how
 * each kind is applied.
 */
export class StateStore {
  private readonly db: Database.Database;
  private readonly nodes = new Map<string, NodeState>();
  private readonly sequences = new Map<string, SequenceState>();
  private readonly saveNode: Database.Statement;
  private readonly saveSequence: Database.Statement;

  constructor(file: string) {
    if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = NORMAL");
    this.db.exec(SCHEMA_SQL);
    this.saveNode = this.db.prepare("INSERT INTO nodes (id, state) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET state = excluded.state");
    this.saveSequence = this.db.prepare(
      "INSERT INTO agent_sequences (node_id, boot_id, state, updated) VALUES (?, ?, ?, ?) ON CONFLICT(node_id, boot_id) DO UPDATE SET state = excluded.state, updated = excluded.updated",
    );
    for (const row of this.db.prepare("SELECT id, state FROM nodes").all() as { id: string; state: string }[]) {
      this.nodes.set(row.id, JSON.parse(row.state) as NodeState);
    }
    for (const row of this.db.prepare("SELECT node_id, boot_id, state FROM agent_sequences").all() as { node_id: string; boot_id: string; state: string }[]) {
      this.sequences.set(key(row.node_id, row.boot_id), JSON.parse(row.state) as SequenceState);
    }
  }

  /** Records one envelope and applies it with `apply`, atomically; a duplicate is not applied. */
  accept(env: Envelope, receivedAt: number, apply: ApplyMessage): AcceptOutcome {
    const k = key(env.node.id, env.agent.bootId);
    const seq = structuredClone(this.sequences.get(k) ?? emptySequence());
    const run = this.db.transaction((): AcceptOutcome => {
      const fresh = observeSequence(seq, env.agent.seq);
      this.saveSequence.run(env.node.id, env.agent.bootId, JSON.stringify(seq), receivedAt);
      if (!fresh) return { accepted: false, reason: "duplicate" };
      const node = apply(this.nodes.get(env.node.id));
      this.saveNode.run(env.node.id, JSON.stringify(node));
      return { accepted: true, node };
    });
    // Memory follows the database only once it committed: a failed apply leaves the message
    // unseen, so that its redelivery is applied rather than taken for a duplicate.
    const outcome = run();
    this.sequences.set(k, seq);
    if (outcome.accepted) this.nodes.set(env.node.id, outcome.node);
    return outcome;
  }

  listNodes(): NodeState[] {
    return [...this.nodes.values()].sort((a, b) => a.hostname.localeCompare(b.hostname));
  }

  getNode(id: string): NodeState | undefined {
    return this.nodes.get(id);
  }

  /** Messages received, seen twice and missing for a node, over all its agent boots. */
  accounting(nodeId: string): MessageAccounting {
    const out = { received: 0, duplicates: 0, missing: 0 };
    for (const [k, s] of this.sequences) {
      if (!k.startsWith(`${nodeId}\u0000`)) continue;
      out.received += s.received;
      out.duplicates += s.duplicates;
      out.missing += missingCount(s);
    }
    return out;
  }

  close(): void {
    this.db.close();
  }
}

function key(nodeId: string, bootId: string): string {
  return `${nodeId}\u0000${bootId}`;
}
