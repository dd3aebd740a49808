import { fingerprint, matches, type Labels } from "./matchers.js";
import { alertLabels, compare, type Aggregation, type Rule } from "./rules.js";
import type { AlertSource, SignalSeries } from "./source.js";

/** One series of a rule after aggregation: the alert it would be, and whether the condition holds. */
export interface Observation {
  fingerprint: string;
  labels: Labels;
  value: number;
  active: boolean;
}

/**
 * What one evaluation saw for a rule: an observation per series that had data in the window,
 * or `missing` when the source could not answer at all.
 */
export type RuleObservation = { kind: "data"; series: Map<string, Observation> } | { kind: "missing"; reason: string };

/** Reads a rule's signal from the source and reduces it (pure given the source). */
export function observe(rule: Rule, source: AlertSource, now: number): RuleObservation {
  const lookback = rule.absentMs ?? rule.windowMs;
  let list: readonly SignalSeries[] | undefined;
  try {
    list = source.series(rule.signal, now - lookback, now);
  } catch (err) {
    return { kind: "missing", reason: `reading ${rule.signal} failed: ${(err as Error).message}` };
  }
  if (list === undefined) return { kind: "missing", reason: `no source answers for ${rule.signal}` };
  const out = new Map<string, Observation>();
  for (const s of list) {
    if (!matches(s.labels, rule.matchers)) continue;
    let value: number | undefined;
    let active: boolean;
    if (rule.absentMs !== undefined) {
      const last = s.points.length > 0 ? (s.points[s.points.length - 1] as readonly [number, number])[0] : undefined;
      active = last === undefined || now - last >= rule.absentMs;
      value = last === undefined ? rule.absentMs / 1000 : (now - last) / 1000;
    } else {
      value = aggregate(s.points, rule.aggregation, now, rule.predictMs ?? 0);
      if (value === undefined) continue;
      active = rule.condition !== undefined && compare(rule.condition.op, value, rule.condition.threshold);
    }
    const labels = alertLabels(rule, s.labels);
    const fp = fingerprint(labels);
    out.set(fp, { fingerprint: fp, labels, value, active });
  }
  return { kind: "data", series: out };
}

/**
 * Reduces a window of samples. `undefined` when there are too few (rate, increase, delta and
 * predict_linear need two). Counter resets (a value lower than the one before) count from zero,
 * as Prometheus does; unlike Prometheus, no extrapolation to the window's edges.
 */
export function aggregate(points: readonly (readonly [number, number])[], agg: Aggregation, now: number, predictMs: number): number | undefined {
  const n = points.length;
  if (n === 0) return undefined;
  const first = points[0] as readonly [number, number];
  const last = points[n - 1] as readonly [number, number];
  switch (agg) {
    case "last": return last[1];
    case "avg": {
      let sum = 0;
      for (const [, v] of points) sum += v;
      return sum / n;
    }
    case "min": return points.reduce((m, [, v]) => Math.min(m, v), Infinity);
    case "max": return points.reduce((m, [, v]) => Math.max(m, v), -Infinity);
    case "delta": return n < 2 ? undefined : last[1] - first[1];
    case "increase":
    case "rate": {
      if (n < 2) return undefined;
      let inc = 0;
      for (let i = 1; i < n; i++) {
        const prev = (points[i - 1] as readonly [number, number])[1];
        const v = (points[i] as readonly [number, number])[1];
        inc += v >= prev ? v - prev : v;
      }
      if (agg === "increase") return inc;
      const seconds = (last[0] - first[0]) / 1000;
      return seconds > 0 ? inc / seconds : undefined;
    }
    case "predict_linear": {
      if (n < 2) return undefined;
      // Least squares on (seconds relative to now, value); the intercept is the value now.
      let sx = 0, sy = 0, sxx = 0, sxy = 0;
      for (const [t, v] of points) {
        const x = (t - now) / 1000;
        sx += x;
        sy += v;
        sxx += x * x;
        sxy += x * v;
      }
      const denom = n * sxx - sx * sx;
      if (denom === 0) return undefined;
      const slope = (n * sxy - sx * sy) / denom;
      const intercept = (sy - slope * sx) / n;
      return intercept + slope * (predictMs / 1000);
    }
  }
}
