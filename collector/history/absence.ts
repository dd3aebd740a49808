/**
 * Whether a node's agent is still reporting. A node is `stale` once it has missed three of its
 * own intervals (Prometheus' idea of staleness), and `down` after a configurable silence; a
 * down node is named by its hostname in the API, the metrics and the alerts. The rule is applied
 * in one place, the model (`collector/model/`), which every reader asks.
 */
export type NodeStatus = "up" | "stale" | "down";

export interface AbsenceOptions {
  /** Intervals without a message before a node is stale. Default 3. */
  staleIntervals?: number;
  /** Silence after which a node is down (ms). Default 2 minutes. */
  downAfterMs?: number;
  /** Interval assumed when a node's own is not known yet (ms). Default 10 s. */
  defaultIntervalMs?: number;
}

export const ABSENCE_DEFAULTS = { staleIntervals: 3, downAfterMs: 120_000, defaultIntervalMs: 10_000 } as const;

/** Pure: the status of a node last heard from at `lastSeen`, at time `now`. */
export function nodeStatus(lastSeen: number, now: number, intervalMs: number | undefined, options: AbsenceOptions = {}): NodeStatus {
  const silence = now - lastSeen;
  const downAfter = options.downAfterMs ?? ABSENCE_DEFAULTS.downAfterMs;
  if (silence >= downAfter) return "down";
  const interval = intervalMs && intervalMs > 0 ? intervalMs : (options.defaultIntervalMs ?? ABSENCE_DEFAULTS.defaultIntervalMs);
  if (silence >= (options.staleIntervals ?? ABSENCE_DEFAULTS.staleIntervals) * interval) return "stale";
  return "up";
}

export interface StatusChange {
  nodeId: string;
  hostname: string;
  from: NodeStatus | undefined;
  to: NodeStatus;
}

/** Remembers each node's last status and reports the changes, so that each is logged once. */
export class AbsenceTracker {
  private readonly last = new Map<string, NodeStatus>();

  update(nodes: Iterable<{ id: string; hostname: string; status: NodeStatus }>): StatusChange[] {
    const changes: StatusChange[] = [];
    for (const n of nodes) {
      const before = this.last.get(n.id);
      if (before !== n.status) {
        this.last.set(n.id, n.status);
        if (before !== undefined || n.status !== "up") changes.push({ nodeId: n.id, hostname: n.hostname, from: before, to: n.status });
      }
    }
    return changes;
  }
}
