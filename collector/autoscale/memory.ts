import { z } from "zod";
import type { ScaleMemory } from "./decide.js";

/**
 * What the autoscaler remembers of a service (its last scale in each direction, the
 * recommendations of its stabilization window) as it is kept between collectors: the collector
 * that takes over after a failover or a restart reads it back before it decides, so a cooldown
 * or a stabilization window started by its predecessor still holds.
 *
 * Pure: text ↔ memory. What is read back is hostile input like any other: bounded, validated,
 * and no time later than now (another collector's clock may run ahead).
 */

/** Recommendations kept per service once runs of equal values are folded (see `snapshot`). */
export const MAX_STORED_RECOMMENDATIONS = 2_000;
/** Longest stored text read back. */
export const MAX_STORED_BYTES = 128 * 1024;

const time = z.number().int().nonnegative().max(8.64e15);
const Stored = z
  .object({
    v: z.literal(1),
    up: time.optional(),
    down: time.optional(),
    /** [time, replicas], oldest first. */
    recs: z.array(z.tuple([time, z.number().int().min(0).max(100_000)])).max(MAX_STORED_RECOMMENDATIONS),
  })
  .strict();

/**
 * The memory as text. A run of equal consecutive recommendations keeps only its newest: the
 * stabilization floor (the highest recommendation newer than now − window) is the same, since a
 * run counts exactly when its newest member is inside the window. A service recommending the
 * same count for hours is one entry, not one per evaluation.
 */
export function snapshot(memory: ScaleMemory): string {
  const recs: [number, number][] = [];
  const list = memory.recommendations;
  for (let i = 0; i < list.length; i++) {
    const r = list[i] as { time: number; replicas: number };
    const next = list[i + 1];
    if (next !== undefined && next.replicas === r.replicas) continue;
    recs.push([Math.floor(r.time), r.replicas]);
  }
  const kept = recs.slice(-MAX_STORED_RECOMMENDATIONS);
  return JSON.stringify({
    v: 1,
    ...(memory.lastScaleUp !== undefined ? { up: Math.floor(memory.lastScaleUp) } : {}),
    ...(memory.lastScaleDown !== undefined ? { down: Math.floor(memory.lastScaleDown) } : {}),
    recs: kept,
  });
}

/**
 * The memory back from text, or why it cannot be read. Times later than `now` become `now` (a
 * clock ahead must not make a cooldown last longer than it was set to); recommendations are put
 * back in time order.
 */
export function restore(text: string, now: number): { ok: true; memory: ScaleMemory } | { ok: false; error: string } {
  if (text.length > MAX_STORED_BYTES) return { ok: false, error: `stored memory is ${text.length} bytes, more than ${MAX_STORED_BYTES}` };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `stored memory is not JSON: ${(err as Error).message}` };
  }
  const parsed = Stored.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, error: `stored memory does not match its schema: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}` };
  }
  const at = (t: number) => Math.min(t, now);
  const s = parsed.data;
  const memory: ScaleMemory = { recommendations: s.recs.map(([t, replicas]) => ({ time: at(t), replicas })).sort((a, b) => a.time - b.time) };
  if (s.up !== undefined) memory.lastScaleUp = at(s.up);
  if (s.down !== undefined) memory.lastScaleDown = at(s.down);
  return { ok: true, memory };
}
