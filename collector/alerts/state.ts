import type { Labels } from "./matchers.js";
import type { Observation, RuleObservation } from "./observe.js";
import type { Rule } from "./rules.js";

/**
 * An open alert of a rule. Inactive alerts have no instance; resolved ones leave one final
 * `resolved` alert to notify and a line in the history.
 */
export interface AlertInstance {
  rule: string;
  fingerprint: string;
  labels: Labels;
  annotations: Readonly<Record<string, string>>;
  state: "pending" | "firing";
  /** When the condition started to hold (Alertmanager's startsAt). */
  activeAt: number;
  firedAt?: number;
  /** First evaluation at which a firing alert's condition no longer held (keep_firing_for counts from it, as in Prometheus). */
  inactiveSince?: number;
  value: number;
  /** Since when the alert's data is missing (a firing alert is then neither kept quiet nor resolved). */
  missingSince?: number;
}

export type AlertStatus = "firing" | "resolved";

/** What goes to the notifier: an alert as Alertmanager's clients send them. */
export interface Alert {
  fingerprint: string;
  rule: string;
  status: AlertStatus;
  labels: Labels;
  annotations: Readonly<Record<string, string>>;
  startsAt: number;
  /** Set when resolved. */
  endsAt?: number;
  value: number;
  /** True while the alert's data is missing. */
  missing: boolean;
}

/** A change of state, for the history and the logs. */
export interface Transition {
  rule: string;
  fingerprint: string;
  labels: Labels;
  from: "inactive" | "pending" | "firing";
  to: "inactive" | "pending" | "firing" | "resolved" | "missing";
  at: number;
  value: number;
  reason?: string;
}

export type RuleState = ReadonlyMap<string, AlertInstance>;

export interface StepResult {
  state: Map<string, AlertInstance>;
  /** Alerts whose notification state changed: newly firing, resolved, data now missing or back. */
  notifications: Alert[];
  transitions: Transition[];
}

/**
 * The state machine of one rule, `(state, observation, now) → (state', notifications)`:
 *
 * | before  | observation                   | after    | notifies |
 * |---------|-------------------------------|----------|----------|
 * | none    | active, for = 0               | firing   | firing   |
 * | none    | active, for > 0               | pending  | –        |
 * | pending | active for ≥ for              | firing   | firing   |
 * | pending | inactive or no data           | none     | –        |
 * | firing  | active                        | firing   | only if its data was missing |
 * | firing  | inactive for < keep_firing_for | firing | –        |
 * | firing  | inactive for ≥ keep_firing_for | none   | resolved |
 * | firing  | no data                       | firing, missing | firing (missing) once |
 * | firing  | no data for resolve_missing_after | none | resolved (reason: data missing) |
 */
export function step(rule: Rule, state: RuleState, obs: RuleObservation, now: number): StepResult {
  const next = new Map<string, AlertInstance>();
  const notifications: Alert[] = [];
  const transitions: Transition[] = [];
  const seen: ReadonlyMap<string, Observation> = obs.kind === "data" ? obs.series : new Map<string, Observation>();
  const annotate = (labels: Labels, value: number, extra?: Record<string, string>): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, t] of Object.entries(rule.annotations)) out[k] = t(labels, value);
    return { ...out, ...extra };
  };

  for (const [fp, inst] of state) {
    const o = seen.get(fp);
    if (!o) {
      if (inst.state === "pending") {
        transitions.push(tr(inst, "inactive", now, "no data"));
        continue;
      }
      const missingSince = inst.missingSince ?? now;
      const reason = obs.kind === "missing" ? obs.reason : `no data for ${inst.labels.alertname ?? rule.name} in the last ${Math.round(rule.windowMs / 1000)}s`;
      if (now - missingSince >= rule.resolveMissingAfterMs) {
        const annotations = { ...inst.annotations, resolved_reason: `data missing since ${new Date(missingSince).toISOString()} (${reason})` };
        delete (annotations as Record<string, string>).data_missing;
        notifications.push({ ...toAlert(inst, "resolved"), annotations, endsAt: now, missing: true });
        transitions.push(tr(inst, "resolved", now, "data missing"));
        continue;
      }
      const updated: AlertInstance = { ...inst, missingSince, annotations: { ...inst.annotations, data_missing: `no data since ${new Date(missingSince).toISOString()}: ${reason}` } };
      next.set(fp, updated);
      if (inst.missingSince === undefined) {
        notifications.push(toAlert(updated, "firing"));
        transitions.push(tr(inst, "missing", now, reason));
      }
      continue;
    }
    if (o.active) {
      const base: AlertInstance = { ...inst, value: o.value, annotations: annotate(o.labels, o.value) };
      delete base.missingSince;
      delete base.inactiveSince;
      if (inst.state === "pending" && now - inst.activeAt >= rule.forMs) {
        const fired: AlertInstance = { ...base, state: "firing", firedAt: now };
        next.set(fp, fired);
        notifications.push(toAlert(fired, "firing"));
        transitions.push(tr(inst, "firing", now));
      } else {
        next.set(fp, base);
        if (inst.state === "firing" && inst.missingSince !== undefined) notifications.push(toAlert(base, "firing"));
      }
      continue;
    }
    // Data present, condition false.
    if (inst.state === "pending") {
      transitions.push(tr(inst, "inactive", now));
      continue;
    }
    const inactiveSince = inst.inactiveSince ?? now;
    if (now - inactiveSince < rule.keepFiringForMs) {
      // As Prometheus: a kept alert shows the value of its last active evaluation, not the cleared one.
      const kept: AlertInstance = { ...inst, inactiveSince };
      delete kept.missingSince;
      next.set(fp, kept);
      if (inst.missingSince !== undefined) notifications.push(toAlert(kept, "firing"));
      continue;
    }
    const resolved: AlertInstance = { ...inst, value: o.value, annotations: annotate(o.labels, o.value) };
    notifications.push({ ...toAlert(resolved, "resolved"), endsAt: now, missing: false });
    transitions.push(tr(inst, "resolved", now));
  }

  for (const [fp, o] of seen) {
    if (state.has(fp) || !o.active) continue;
    const inst: AlertInstance = { rule: rule.name, fingerprint: fp, labels: o.labels, annotations: annotate(o.labels, o.value), state: "pending", activeAt: now, value: o.value };
    if (rule.forMs === 0) {
      const fired: AlertInstance = { ...inst, state: "firing", firedAt: now };
      next.set(fp, fired);
      notifications.push(toAlert(fired, "firing"));
      transitions.push({ ...tr(inst, "firing", now), from: "inactive" });
    } else {
      next.set(fp, inst);
      transitions.push({ ...tr(inst, "pending", now), from: "inactive" });
    }
  }
  return { state: next, notifications, transitions };
}

/** Alerts of a rule that disappeared on reload: resolved, saying why. */
export function retire(state: RuleState, now: number, reason: string): StepResult {
  const notifications: Alert[] = [];
  const transitions: Transition[] = [];
  for (const inst of state.values()) {
    transitions.push(tr(inst, inst.state === "firing" ? "resolved" : "inactive", now, reason));
    if (inst.state === "firing") notifications.push({ ...toAlert(inst, "resolved"), endsAt: now, annotations: { ...inst.annotations, resolved_reason: reason } });
  }
  return { state: new Map(), notifications, transitions };
}

export function toAlert(inst: AlertInstance, status: AlertStatus): Alert {
  return {
    fingerprint: inst.fingerprint,
    rule: inst.rule,
    status,
    labels: inst.labels,
    annotations: inst.annotations,
    startsAt: inst.activeAt,
    value: inst.value,
    missing: inst.missingSince !== undefined,
  };
}

function tr(inst: AlertInstance, to: Transition["to"], at: number, reason?: string): Transition {
  return { rule: inst.rule, fingerprint: inst.fingerprint, labels: inst.labels, from: inst.state, to, at, value: inst.value, ...(reason ? { reason } : {}) };
}
