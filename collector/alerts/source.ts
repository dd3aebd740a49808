import type { Labels } from "./matchers.js";
import type { SignalName } from "./signals.js";

/** One series of a signal: its labels (the scope's identity labels, see `signals.ts`) and its samples. */
export interface SignalSeries {
  labels: Labels;
  /** [Unix milliseconds, value], oldest first, within the range asked for. May be empty: the entity is known but sent nothing in the range. */
  points: readonly (readonly [number, number])[];
}

/**
 * What the alert engine reads: the port the collector's model is adapted to (the adapter lives with
 * the wiring, not here). Every signal of `signals.ts` is a series per entity of its scope, so one
 * method serves metrics, node statuses, replicas, checks, container events and log rates alike.
 *
 * Return `undefined` when the source cannot answer for this signal right now (the Swarm view is
 * not available on a worker, the log store is off): the engine then treats every open alert of
 * the rule as having missing data, instead of resolving it.
 */
export interface AlertSource {
  series(signal: SignalName, fromMs: number, toMs: number): readonly SignalSeries[] | undefined;
}

/** An AlertSource over fixed series: for tests, `vigie alerts` tooling and replays. */
export class StaticSource implements AlertSource {
  constructor(private readonly data: Partial<Record<SignalName, readonly SignalSeries[] | undefined>>) {}

  series(signal: SignalName, fromMs: number, toMs: number): readonly SignalSeries[] | undefined {
    const list = this.data[signal];
    if (list === undefined) return undefined;
    return list.map((s) => ({ labels: s.labels, points: s.points.filter(([t]) => t >= fromMs && t <= toMs) }));
  }
}
