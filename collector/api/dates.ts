/**
 * A Unix time in ms as RFC 3339, or null when it is no date at all. Ingest keeps every stored
 * timestamp within the clock-skew policy (`collector/ingest/clock.ts`), but an answer must not
 * fail on one that predates the policy or slipped past it: `toISOString` throws on an invalid date.
 */
export function isoTime(ms: number | undefined): string | null {
  if (ms === undefined || !Number.isFinite(ms)) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
