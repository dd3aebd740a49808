import type { CheckResult, CheckState, EnvelopeOf } from "../../protocol/index.js";

/** One check on one node, as the collector knows it. */
export interface CheckRecord {
  node: { id: string; hostname: string };
  /** The latest result (its state after thresholds, and since when). */
  last: CheckResult;
  /** The last results, newest first (bounded). */
  recent: CheckResult[];
  /** When the latest result reached the collector, Unix ms. */
  receivedAt: number;
  /**
   * The numbers of the latest body that had any (`CheckResult.values`), with when that result
   * ran and reached the collector: a run that timed out keeps the previous numbers, which their
   * readers judge by age.
   */
  values?: { values: Readonly<Record<string, number>>; time: number; receivedAt: number };
}

/** A check whose state (after thresholds) is not the one it had, or a check seen for the first time. */
export interface CheckTransition {
  node: { id: string; hostname: string };
  /** Undefined for a check the collector had not seen. */
  from: CheckState | undefined;
  to: CheckState;
  /** The result that brought the new state. */
  result: CheckResult;
}

/** What the collector's checks offer to their readers (the API, the exposition). */
export interface CheckSource {
  list(): CheckRecord[];
  isStale(rec: CheckRecord, now: number): boolean;
}

export interface ChecksStateOptions {
  /** Results kept per check. Default 20. */
  recent?: number;
  /** A check is stale after this many missed intervals (its node stopped reporting it). Default 3. */
  staleIntervals?: number;
  /** Checks one node may register; results of further check ids are dropped and counted. Default 200. */
  maxChecksPerNode?: number;
}

/**
 * The current state of every check in the cluster, fed by `status` messages. A check leaves when
 * its agent's list of active checks no longer names it (its container is gone). Kept in memory:
 * after a restart it fills again within one check interval.
 */
export class ChecksState implements CheckSource {
  private readonly checks = new Map<string, CheckRecord>();
  private readonly keep: number;
  readonly staleIntervals: number;
  private readonly maxPerNode: number;
  private readonly perNode = new Map<string, number>();
  /** Results dropped because their node already had `maxChecksPerNode` checks. */
  dropped = 0;

  constructor(options: ChecksStateOptions = {}) {
    this.keep = options.recent ?? 20;
    this.staleIntervals = options.staleIntervals ?? 3;
    this.maxPerNode = options.maxChecksPerNode ?? 200;
  }

  /** Takes one status message; returns the checks whose state changed (in result order). */
  apply(env: EnvelopeOf<"status">, receivedAt: number): CheckTransition[] {
    const node = { id: env.node.id, hostname: env.node.hostname };
    const transitions: CheckTransition[] = [];
    for (const r of env.payload.results) {
      const k = key(node.id, r.check.id);
      const prev = this.checks.get(k);
      // Redelivered or reordered results never replace a newer one.
      if (prev && prev.last.time > r.time) {
        prev.recent = insertByTime(prev.recent, r, this.keep);
        continue;
      }
      if (!prev) {
        // One node may not fill the collector with check ids (a hostile or broken agent).
        const n = this.perNode.get(node.id) ?? 0;
        if (n >= this.maxPerNode) {
          this.dropped++;
          continue;
        }
        this.perNode.set(node.id, n + 1);
      }
      const values = r.values ? { values: r.values, time: r.time, receivedAt } : prev?.values;
      this.checks.set(k, { node, last: r, recent: insertByTime(prev?.recent ?? [], r, this.keep), receivedAt, ...(values ? { values } : {}) });
      if (prev?.last.state !== r.state) transitions.push({ node, from: prev?.last.state, to: r.state, result: r });
    }
    if (env.payload.active) {
      const active = new Set(env.payload.active);
      for (const [k, rec] of this.checks) if (rec.node.id === node.id && !active.has(rec.last.check.id)) {
        this.checks.delete(k);
        this.perNode.set(node.id, (this.perNode.get(node.id) ?? 1) - 1);
      }
    }
    return transitions;
  }

  list(): CheckRecord[] {
    return [...this.checks.values()].sort((a, b) => a.node.hostname.localeCompare(b.node.hostname) || a.last.check.id.localeCompare(b.last.check.id));
  }

  /** Whether the node stopped reporting the check for `staleIntervals` intervals. */
  isStale(rec: CheckRecord, now: number): boolean {
    return now - rec.receivedAt > this.staleIntervals * rec.last.check.intervalSeconds * 1000 + 5000;
  }
}

function key(nodeId: string, checkId: string): string {
  return `${nodeId}\u0000${checkId}`;
}

function insertByTime(list: CheckResult[], r: CheckResult, keep: number): CheckResult[] {
  if (list.some((x) => x.time === r.time)) return list;
  return [...list, r].sort((a, b) => b.time - a.time).slice(0, keep);
}
