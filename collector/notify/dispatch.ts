import type { Labels } from "../alerts/matchers.js";
import type { Alert } from "../alerts/state.js";
import type { NotifyLogEntry } from "../alerts/store.js";
import { groupKey, groupLabels, matchRoutes, type Route } from "./route.js";

/** An aggregation group: the alerts of one route with the same group labels. */
export interface Group {
  key: string;
  route: Route;
  labels: Labels;
  alerts: Map<string, Alert>;
  /** When the group is next looked at: group_wait after creation, then every group_interval. */
  nextFlushAt: number;
}

/** A group due now, with what it holds. */
export interface Flush {
  group: Group;
  alerts: Alert[];
}

/**
 * Alertmanager's dispatcher without I/O: alerts go into groups per route; a new group waits
 * group_wait before its first flush, then is looked at every group_interval. Resolved alerts
 * leave a group once a flush carrying them succeeded. The clock is the caller's.
 */
export class DispatchCore {
  readonly groups = new Map<string, Group>();

  constructor(private readonly root: Route) {}

  submit(alerts: readonly Alert[], now: number): void {
    for (const a of alerts) {
      for (const route of matchRoutes(this.root, a.labels)) {
        const labels = groupLabels(route, a.labels);
        const key = groupKey(route, labels);
        let g = this.groups.get(key);
        if (!g) {
          // A resolved alert for a group that does not exist has nothing to resolve.
          if (a.status === "resolved") continue;
          g = { key, route, labels, alerts: new Map(), nextFlushAt: now + route.groupWaitMs };
          this.groups.set(key, g);
        }
        g.alerts.set(a.fingerprint, a);
      }
    }
  }

  /** Groups whose timer expired; their timers restart at group_interval. */
  due(now: number): Flush[] {
    const out: Flush[] = [];
    for (const g of this.groups.values()) {
      if (g.nextFlushAt > now) continue;
      g.nextFlushAt = now + g.route.groupIntervalMs;
      out.push({ group: g, alerts: [...g.alerts.values()] });
    }
    return out;
  }

  /** After a successful flush: resolved alerts that were sent (and not changed since) leave; an empty group goes. */
  flushed(flush: Flush): void {
    const g = flush.group;
    for (const a of flush.alerts) if (a.status === "resolved" && g.alerts.get(a.fingerprint) === a) g.alerts.delete(a.fingerprint);
    if (g.alerts.size === 0 && this.groups.get(g.key) === g) this.groups.delete(g.key);
  }

  /** Earliest time a group wants looking at (for a caller that sleeps). */
  nextDue(): number | undefined {
    let t: number | undefined;
    for (const g of this.groups.values()) if (t === undefined || g.nextFlushAt < t) t = g.nextFlushAt;
    return t;
  }
}

export interface Decision {
  /** `send` the alerts; `record` the entry without sending (all resolved, none wanted); `skip`. */
  action: "send" | "record" | "skip";
  /** What to send: firing alerts not muted, and resolved ones when the receiver wants them. */
  alerts: Alert[];
  /** The notification log entry to keep once sent. */
  entry: NotifyLogEntry;
}

/**
 * Whether a flush notifies a receiver, as Alertmanager's dedup stage decides against what was last
 * sent: new firing alerts, all resolved (when something had been firing), newly resolved ones
 * (send_resolved), or the repeat interval passed. Vigie adds one reason: an alert's data went
 * missing or came back, so that missing data is said, not silently sat on.
 */
export function decide(flush: Flush, last: NotifyLogEntry | undefined, opts: { sendResolved: boolean; repeatIntervalMs: number; muted: (a: Alert) => boolean }, now: number): Decision {
  const firing = flush.alerts.filter((a) => a.status === "firing" && !opts.muted(a));
  const resolved = flush.alerts.filter((a) => a.status === "resolved");
  const firingFps = firing.map((a) => a.fingerprint).sort();
  const resolvedFps = resolved.map((a) => a.fingerprint).sort();
  const missingFps = firing.filter((a) => a.missing).map((a) => a.fingerprint).sort();
  const entry: NotifyLogEntry = { firing: firingFps, resolved: resolvedFps, missing: missingFps, sentAt: now };
  const alerts = [...firing, ...(opts.sendResolved ? resolved : [])];
  let send: boolean;
  if (!last) send = firing.length > 0;
  else if (!firingFps.every((f) => last.firing.includes(f))) send = true;
  else if (firing.length === 0) send = last.firing.length > 0;
  else if (opts.sendResolved && !resolvedFps.every((f) => last.resolved.includes(f))) send = true;
  else if (missingFps.join() !== (last.missing ?? []).join()) send = true;
  else send = last.sentAt <= now - opts.repeatIntervalMs;
  // Nothing to send (all resolved and the receiver does not want them): log it, as Alertmanager does,
  // so that the next firing of the same alerts is news again.
  const action = !send ? "skip" : alerts.length === 0 ? "record" : "send";
  return { action, alerts, entry };
}
