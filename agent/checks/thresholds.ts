import type { CheckState } from "../../protocol/index.js";

/**
 * The reported state of a check, with hysteresis so one blip does not flap it: `down` after
 * `failureThreshold` failed runs in a row, `up` again after `successThreshold` good ones
 * (Gatus's defaults, 3 and 2). A check that has never had a verdict (`unknown`) is `up` on its
 * first good run, like Docker's `starting` → `healthy`; failures count from the start.
 */
export interface ThresholdState {
  state: CheckState;
  /** When the state last changed, Unix ms. */
  since: number;
  successes: number;
  failures: number;
}

export interface Thresholds {
  /** Failed runs in a row before `down`. Default 3. */
  failureThreshold: number;
  /** Good runs in a row before `up` again. Default 2. */
  successThreshold: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = { failureThreshold: 3, successThreshold: 2 };

export function initialThresholdState(now: number): ThresholdState {
  return { state: "unknown", since: now, successes: 0, failures: 0 };
}

/** Folds one run's outcome into the state (pure). */
export function applyRun(s: ThresholdState, ok: boolean, now: number, t: Thresholds = DEFAULT_THRESHOLDS): ThresholdState {
  if (ok) {
    const successes = s.successes + 1;
    const next: ThresholdState = { ...s, successes, failures: 0 };
    if (s.state !== "up" && (s.state === "unknown" || successes >= t.successThreshold)) return { ...next, state: "up", since: now };
    return next;
  }
  const failures = s.failures + 1;
  const next: ThresholdState = { ...s, failures, successes: 0 };
  if (s.state !== "down" && failures >= t.failureThreshold) return { ...next, state: "down", since: now };
  return next;
}
