import { DecodeError, type Envelope } from "../../protocol/index.js";

/**
 * The clock-skew policy: which timestamps an agent may send, measured against the collector's
 * own clock when the message is taken.
 *
 * - No timestamp may lie more than `maxFutureMs` ahead (`ingest.maxClockSkew`, default 5 min):
 *   the envelope's `time`, a status result's `time` and `stateSince`, an event's or a log
 *   record's `timeUnixNano`. Such a message is dead-lettered with reason `clock_skew`, never
 *   clamped: a clamped time would look true. A node whose clock runs ahead therefore loses its
 *   messages (visibly: dead letters, by reason) instead of freezing its state on one future sample.
 * - The envelope's `time` and a status result's `time` may be at most `maxAgeMs` old
 *   (`ingest.maxMessageAge`, default 7 days, the rollup retention: older samples could not be kept
 *   anyway). A spooled backlog replayed after an outage of hours is well inside it.
 * - `stateSince` and event/log times may be older (a check up for a month; a log line read back
 *   after a restart), but never before 1970.
 * - Ordering restarts with a new `bootId`: a sample is older than the one held only when both come
 *   from the same agent boot (`collector/store/nodes.ts`, `collector/history/latest.ts`).
 *
 * Every timestamp accepted is thus a valid JavaScript date, so no stored value can make a
 * route fail to format it.
 */
export interface ClockPolicy {
  /** How far ahead of the collector's clock a timestamp may be, in ms. Default 5 min. */
  maxFutureMs: number;
  /** How old a message's sample time may be, in ms. Default 7 days. */
  maxAgeMs: number;
}

export const DEFAULT_CLOCK_POLICY: ClockPolicy = { maxFutureMs: 5 * 60_000, maxAgeMs: 7 * 86_400_000 };

/** The first timestamp of `env` outside the policy, as a refusal; undefined when all are inside. */
export function checkTimes(env: Envelope, now: number, policy: ClockPolicy = DEFAULT_CLOCK_POLICY): DecodeError | undefined {
  const latest = now + policy.maxFutureMs;
  const earliest = now - policy.maxAgeMs;
  const sample = (path: string, t: number) => outside(path, t, earliest, latest, now);
  const anyPast = (path: string, t: number) => outside(path, t, 0, latest, now);

  const bad = sample("time", env.time);
  if (bad) return bad;
  switch (env.kind) {
    case "status":
      for (let i = 0; i < env.payload.results.length; i++) {
        const r = env.payload.results[i] as (typeof env.payload.results)[number];
        const e = sample(`payload.results[${i}].time`, r.time) ?? anyPast(`payload.results[${i}].stateSince`, r.stateSince);
        if (e) return e;
      }
      return undefined;
    case "events":
      for (let i = 0; i < env.payload.events.length; i++) {
        const e = anyPast(`payload.events[${i}].timeUnixNano`, nanosToMs((env.payload.events[i] as (typeof env.payload.events)[number]).timeUnixNano));
        if (e) return e;
      }
      return undefined;
    case "logs":
      for (let i = 0; i < env.payload.records.length; i++) {
        const r = env.payload.records[i] as (typeof env.payload.records)[number];
        const e =
          anyPast(`payload.records[${i}].timeUnixNano`, nanosToMs(r.timeUnixNano)) ??
          (r.observedTimeUnixNano !== undefined ? anyPast(`payload.records[${i}].observedTimeUnixNano`, nanosToMs(r.observedTimeUnixNano)) : undefined);
        if (e) return e;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** Nanoseconds as a decimal string (up to 20 digits) → milliseconds; exact enough for a bound. */
function nanosToMs(ns: string): number {
  return ns.length > 6 ? Number(ns.slice(0, -6)) : 0;
}

function outside(path: string, t: number, earliest: number, latest: number, now: number): DecodeError | undefined {
  if (t > latest) return new DecodeError("clock_skew", path, `${t} ms is ${formatSpan(t - now)} ahead of the collector's clock (at most ${formatSpan(latest - now)} allowed)`);
  if (t < earliest) return new DecodeError("clock_skew", path, `${t} ms is ${formatSpan(now - t)} behind the collector's clock (at most ${formatSpan(now - earliest)} allowed)`);
  return undefined;
}

function formatSpan(ms: number): string {
  if (ms >= 2 * 86_400_000) return `${Math.round(ms / 86_400_000)} d`;
  if (ms >= 2 * 3_600_000) return `${Math.round(ms / 3_600_000)} h`;
  if (ms >= 120_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 1000)} s`;
}
