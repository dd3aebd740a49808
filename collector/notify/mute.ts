import { matches, type Labels, type Matchers } from "../alerts/matchers.js";
import type { Alert } from "../alerts/state.js";

/** A silence ready to match: compiled matchers and its time range. */
export interface ActiveSilence {
  id: string;
  matchers: Matchers;
  startsAt: number;
  endsAt: number;
}

/** The first silence active at `now` whose matchers all match, if any. */
export function silencedBy(labels: Labels, silences: readonly ActiveSilence[], now: number): string | undefined {
  for (const s of silences) if (s.startsAt <= now && now < s.endsAt && s.matchers.length > 0 && matches(labels, s.matchers)) return s.id;
  return undefined;
}

export interface InhibitRule {
  sourceMatchers: Matchers;
  targetMatchers: Matchers;
  /** Labels whose values must be equal on source and target (a missing label equals an empty one). */
  equal: readonly string[];
}

/**
 * True when a firing alert matching a rule's source mutes `target`, as Alertmanager decides: the
 * target matches the target side, labels in `equal` agree, and an alert matching both sides cannot
 * be inhibited by another that also matches both.
 */
export function inhibited(target: Alert, firing: readonly Alert[], rules: readonly InhibitRule[]): boolean {
  for (const r of rules) {
    if (!matches(target.labels, r.targetMatchers)) continue;
    const targetIsSource = matches(target.labels, r.sourceMatchers);
    for (const src of firing) {
      if (src.status !== "firing" || src.fingerprint === target.fingerprint) continue;
      if (!matches(src.labels, r.sourceMatchers)) continue;
      if (targetIsSource && matches(src.labels, r.targetMatchers)) continue;
      if (r.equal.every((l) => (src.labels[l] ?? "") === (target.labels[l] ?? ""))) return true;
    }
  }
  return false;
}
