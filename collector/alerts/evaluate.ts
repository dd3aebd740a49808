import { observe } from "./observe.js";
import type { Rule } from "./rules.js";
import type { AlertSource } from "./source.js";
import { retire, step, type Alert, type AlertInstance, type Transition } from "./state.js";

/** Open alerts of every rule: rule name → fingerprint → instance. */
export type AlertsState = ReadonlyMap<string, ReadonlyMap<string, AlertInstance>>;

export interface Evaluation {
  state: Map<string, Map<string, AlertInstance>>;
  notifications: Alert[];
  transitions: Transition[];
}

/**
 * One evaluation of every rule at `now`. Rules no longer loaded retire their alerts (resolved,
 * saying the rule was removed) rather than leave them open forever.
 */
export function evaluateRules(rules: readonly Rule[], state: AlertsState, source: AlertSource, now: number): Evaluation {
  const next = new Map<string, Map<string, AlertInstance>>();
  const notifications: Alert[] = [];
  const transitions: Transition[] = [];
  for (const rule of rules) {
    const r = step(rule, state.get(rule.name) ?? new Map(), observe(rule, source, now), now);
    if (r.state.size > 0) next.set(rule.name, r.state);
    notifications.push(...r.notifications);
    transitions.push(...r.transitions);
  }
  const loaded = new Set(rules.map((r) => r.name));
  for (const [name, instances] of state) {
    if (loaded.has(name)) continue;
    const r = retire(instances, now, `rule ${name} was removed`);
    notifications.push(...r.notifications);
    transitions.push(...r.transitions);
  }
  return { state: next, notifications, transitions };
}

/** Every open alert as the notifier sees it (firing ones; pending ones are not sent). */
export function firingAlerts(state: AlertsState): Alert[] {
  const out: Alert[] = [];
  for (const instances of state.values())
    for (const i of instances.values())
      if (i.state === "firing") out.push({ fingerprint: i.fingerprint, rule: i.rule, status: "firing", labels: i.labels, annotations: i.annotations, startsAt: i.activeAt, value: i.value, missing: i.missingSince !== undefined });
  return out;
}
