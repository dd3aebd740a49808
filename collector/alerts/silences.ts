import { randomUUID } from "node:crypto";
import { compileMatcher, type LabelMatcher } from "./matchers.js";
import type { ActiveSilence } from "../notify/mute.js";
import type { AlertStore, Silence } from "./store.js";

/** Bounds: silences come from the API. */
export const SILENCE_LIMITS = { matchers: 32, commentChars: 2000, maxDurationMs: 366 * 86_400_000, count: 10_000 } as const;

export interface SilenceInput {
  matchers: LabelMatcher[];
  startsAt?: number;
  endsAt: number;
  createdBy: string;
  comment?: string;
}

/** Silences: created, listed and expired through the API and `vigie silence`, kept on disk. */
export class SilenceService {
  private cache: ActiveSilence[] = [];

  constructor(private readonly store: AlertStore, private readonly now: () => number = () => Date.now()) {
    this.refresh();
  }

  /** A new silence, or a sentence saying what is wrong with the input. */
  create(input: SilenceInput): Silence | string {
    const now = this.now();
    if (input.matchers.length === 0) return "a silence needs at least one matcher";
    if (input.matchers.length > SILENCE_LIMITS.matchers) return `at most ${SILENCE_LIMITS.matchers} matchers`;
    for (const m of input.matchers) {
      const c = compileMatcher(m);
      if (typeof c === "string") return c;
    }
    if (input.matchers.every((m) => (m.op === "=~" && /^\.\*$/.test(m.value)) || (m.op === "=" && m.value === "") || m.op === "!=" || m.op === "!~"))
      return "the matchers would silence every alert: match at least one label to a value";
    const startsAt = input.startsAt ?? now;
    if (!Number.isFinite(startsAt) || !Number.isFinite(input.endsAt)) return "startsAt and endsAt must be times";
    if (input.endsAt <= startsAt) return "endsAt must be after startsAt";
    if (input.endsAt <= now) return "endsAt is in the past";
    if (input.endsAt - startsAt > SILENCE_LIMITS.maxDurationMs) return "a silence lasts at most 366 days";
    if ((input.comment ?? "").length > SILENCE_LIMITS.commentChars) return `comment longer than ${SILENCE_LIMITS.commentChars} characters`;
    if (this.list().length >= SILENCE_LIMITS.count) return `too many silences (${SILENCE_LIMITS.count})`;
    const s: Silence = { id: randomUUID(), matchers: input.matchers, startsAt, endsAt: input.endsAt, createdBy: input.createdBy, comment: input.comment ?? "", createdAt: now };
    this.store.putSilence(s);
    this.refresh();
    return s;
  }

  /** Silences not expired for more than a day, newest end first. */
  list(): Silence[] {
    return this.store.silences(this.now() - 86_400_000);
  }

  get(id: string): Silence | undefined {
    return this.list().find((s) => s.id === id);
  }

  /** Ends a silence now; false when there is no such silence. */
  expire(id: string): boolean {
    const s = this.get(id);
    if (!s) return false;
    const now = this.now();
    this.store.putSilence({ ...s, endsAt: Math.min(s.endsAt, now), startsAt: Math.min(s.startsAt, now) });
    this.refresh();
    return true;
  }

  /** Compiled silences for the notifier (refreshed on every change). */
  active(): readonly ActiveSilence[] {
    return this.cache;
  }

  private refresh(): void {
    this.cache = this.list().map((s) => ({ id: s.id, startsAt: s.startsAt, endsAt: s.endsAt, matchers: s.matchers.map((m) => compileMatcher(m)).filter((m) => typeof m !== "string") }));
  }
}

export function silenceState(s: Silence, now: number): "pending" | "active" | "expired" {
  return now < s.startsAt ? "pending" : now < s.endsAt ? "active" : "expired";
}
