import type { Recommendation } from "./hpa.js";

/**
 * From a recommendation to a decision: what the autoscaler does with a service now, and why.
 * Pure: `(state, input, now) → decision`, the state changed only by the caller through
 * `remember` and `scaled`.
 *
 *   | condition (checked in this order)                   | decision                         |
 *   |-----------------------------------------------------|----------------------------------|
 *   | an update or rollback is in progress                | hold: update_in_progress         |
 *   | replicas set to 0 by hand while min > 0             | hold: bounds (autoscaling paused)|
 *   | replicas outside [min, max]                         | scale to the bound: scaled       |
 *   | no metric                                           | hold: missing_metrics            |
 *   | ratio within the tolerance                          | hold: tolerance                  |
 *   | lower, but a higher recommendation in the window    | hold: stabilization              |
 *   | the bound is where the service already is           | hold: bounds                     |
 *   | the last change in that direction is too recent     | hold: cooldown                   |
 *   | computed equal to the current count                 | hold: steady                     |
 *   | otherwise                                           | scaled (up to the step limit)    |
 */

export type Reason = "scaled" | "dry_run" | "failed" | "tolerance" | "cooldown" | "bounds" | "stabilization" | "missing_metrics" | "update_in_progress" | "steady" | "invalid_policy";
export type Direction = "up" | "down" | "none";

export interface Behavior {
  min: number;
  max: number;
  cooldownUpMs: number;
  cooldownDownMs: number;
  /** Scale down to the highest recommendation within this window. */
  stabilizationMs: number;
}

/** What the autoscaler remembers of a service between evaluations. */
export interface ScaleMemory {
  /** Raw recommendations (time, replicas), newest last, within the stabilization window. */
  recommendations: { time: number; replicas: number }[];
  lastScaleUp?: number;
  lastScaleDown?: number;
}

export interface Decision {
  reason: Reason;
  direction: Direction;
  current: number;
  /** The count to scale to; the current one when held. */
  desired: number;
  /** The calculator's raw recommendation, when there was one. */
  recommended?: number;
  /** After the stabilization window. */
  stabilized?: number;
  message: string;
}

export function emptyMemory(): ScaleMemory {
  return { recommendations: [] };
}

/** The most a service may grow in one step: the larger of +100 % and +4 (Kubernetes' default scale-up policies). */
export function stepLimit(current: number): number {
  return Math.max(current * 2, current + 4);
}

const clamp = (n: number, b: Behavior) => Math.min(b.max, Math.max(b.min, n));

export function decide(memory: ScaleMemory, input: { behavior: Behavior; current: number; updateInProgress: boolean; updateState?: string; recommendation: Recommendation }, now: number): Decision {
  const { behavior: b, current } = input;
  const hold = (reason: Reason, message: string, extra: Partial<Decision> = {}): Decision => ({ reason, direction: "none", current, desired: current, message, ...extra });

  if (input.updateInProgress) return hold("update_in_progress", `update state ${input.updateState ?? "in progress"}: Vigie waits for it to finish`);
  if (current === 0 && b.min > 0) return hold("bounds", "replicas set to 0 by hand: autoscaling paused until the service runs again");
  if (current < b.min || current > b.max) {
    const to = clamp(current, b);
    return { reason: "scaled", direction: to > current ? "up" : "down", current, desired: to, message: `${current} replicas is outside [${b.min}, ${b.max}]` };
  }
  const rec = input.recommendation;
  if (!rec.ok) return hold("missing_metrics", rec.message);

  const raw = rec.replicas;
  const window = memory.recommendations.filter((r) => r.time > now - b.stabilizationMs && r.time <= now);
  let stabilized = raw;
  if (raw < current) stabilized = Math.min(current, Math.max(raw, ...window.map((r) => r.replicas)));
  const limited = stabilized > current ? Math.min(stabilized, stepLimit(current)) : stabilized;
  const desired = clamp(limited, b);
  const detail = { recommended: raw, stabilized };

  if (desired === current) {
    if (rec.withinTolerance && raw === current) return hold("tolerance", `observed/target ${fmt(rec.ratio)} is within the tolerance`, detail);
    if (raw < current && stabilized === current) {
      return hold("stabilization", `recommended ${raw}, but ${stabilized} within the last ${Math.round(b.stabilizationMs / 1000)} s`, detail);
    }
    if (raw !== current) return hold("bounds", `recommended ${raw}, bounded by [${b.min}, ${b.max}]`, detail);
    return hold("steady", `observed/target ${fmt(rec.ratio)} gives the current count`, detail);
  }
  const direction: Direction = desired > current ? "up" : "down";
  const last = direction === "up" ? memory.lastScaleUp : memory.lastScaleDown;
  const cooldown = direction === "up" ? b.cooldownUpMs : b.cooldownDownMs;
  if (last !== undefined && now - last < cooldown) {
    return hold("cooldown", `would scale ${direction} to ${desired}; last scale-${direction} ${Math.round((now - last) / 1000)} s ago, cooldown ${Math.round(cooldown / 1000)} s`, detail);
  }
  const why = limited < stabilized ? ` (step limit ${stepLimit(current)})` : desired !== limited ? ` (bounded by [${b.min}, ${b.max}])` : "";
  return { reason: "scaled", direction, current, desired, message: `observed/target ${fmt(rec.ratio)}: ${current} → ${desired}${why}`, ...detail };
}

/** Keeps a raw recommendation for the stabilization window (and drops what fell out of it). */
export function remember(memory: ScaleMemory, recommendation: number, now: number, windowMs: number): void {
  const recs = memory.recommendations;
  // Oldest first: what fell out of the window is a prefix. Bounded whatever the interval.
  let drop = 0;
  while (drop < recs.length && (recs[drop] as { time: number }).time <= now - windowMs) drop++;
  drop = Math.max(drop, recs.length + 1 - 10_000);
  if (drop > 0) recs.splice(0, drop);
  recs.push({ time: now, replicas: recommendation });
}

/** Starts the cooldown of the direction just scaled. */
export function scaled(memory: ScaleMemory, direction: Direction, now: number): void {
  if (direction === "up") memory.lastScaleUp = now;
  else if (direction === "down") memory.lastScaleDown = now;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : String(x);
}
