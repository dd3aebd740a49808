import { SEVERITY_RANGES, severityRange, type SeverityRange } from "./severity.js";

/** Records received by one (node, stack, service, severity range), since the collector started. */
export interface LogCount {
  node: string;
  stack: string;
  service: string;
  severity: SeverityRange;
  total: number;
}

/** What a rate asks about: a service (name or stack-prefixed Swarm name) and/or a stack, a minimum severity. */
export interface RateFilter {
  stack?: string;
  service?: string;
  node?: string;
  /** Minimum severity number; counted by range (13 counts WARN…FATAL). Default 0: every record. */
  minSeverity?: number;
}

/** Width of one rate bucket, ms. */
export const BUCKET_MS = 10_000;
/** Buckets kept: rates over windows up to an hour. */
const BUCKETS = 360;
export const MAX_RATE_WINDOW_MS = BUCKET_MS * BUCKETS;

interface Entry extends LogCount {
  swarmService: string;
  /** Records per 10 s bucket, a ring indexed by bucket number modulo its length. */
  buckets: Uint32Array;
  /** Newest bucket number written. */
  last: number;
}

/**
 * Log record counts by node, stack, service and severity range, in memory: the totals behind
 * `vigie_log_records_total` and the recent rates alert rules ask for (records per second over
 * a window, by the collector's receive time, so an agent's clock cannot move them). Bounded: past
 * `maxSeries` keys, new ones are counted under service `_other`. Counts restart with the
 * collector, as Prometheus counters may.
 */
export class LogCounts {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxSeries = 10_000) {}

  add(key: { node: string; stack: string; service: string; swarmService: string }, severity: number, n: number, at: number): void {
    const range = severityRange(severity);
    let k = `${key.node}\u0000${key.stack}\u0000${key.service}\u0000${range}`;
    let e = this.entries.get(k);
    if (!e) {
      const overflow = this.entries.size >= this.maxSeries;
      if (overflow) k = `${key.node}\u0000\u0000_other\u0000${range}`;
      e = this.entries.get(k);
      if (!e) {
        e = {
          node: key.node, stack: overflow ? "" : key.stack, service: overflow ? "_other" : key.service, swarmService: overflow ? "_other" : key.swarmService,
          severity: range, total: 0, buckets: new Uint32Array(BUCKETS), last: Math.floor(at / BUCKET_MS),
        };
        this.entries.set(k, e);
      }
    }
    e.total += n;
    const b = Math.floor(at / BUCKET_MS);
    advance(e, b);
    if (b > e.last - BUCKETS) e.buckets[mod(b)] = (e.buckets[mod(b)] ?? 0) + n;
  }

  /** Every count, for the exposition. */
  list(): LogCount[] {
    return [...this.entries.values()].map(({ node, stack, service, severity, total }) => ({ node, stack, service, severity, total }));
  }

  /** Records per second received over the last `windowMs` (at most an hour, at 10 s resolution) matching the filter. */
  rate(filter: RateFilter, windowMs: number, now: number): number {
    const window = Math.min(Math.max(windowMs, BUCKET_MS), MAX_RATE_WINDOW_MS);
    const newest = Math.floor(now / BUCKET_MS);
    const oldest = newest - Math.ceil(window / BUCKET_MS) + 1;
    const minRange = severityRange(filter.minSeverity ?? 0);
    const minIndex = filter.minSeverity ? SEVERITY_RANGES.indexOf(minRange) : 0;
    let sum = 0;
    for (const e of this.entries.values()) {
      if (filter.stack !== undefined && e.stack !== filter.stack) continue;
      if (filter.service !== undefined && e.service !== filter.service && e.swarmService !== filter.service) continue;
      if (filter.node !== undefined && e.node !== filter.node) continue;
      if (SEVERITY_RANGES.indexOf(e.severity) < minIndex) continue;
      for (let b = Math.max(oldest, e.last - BUCKETS + 1); b <= Math.min(newest, e.last); b++) sum += e.buckets[mod(b)] ?? 0;
    }
    return sum / (window / 1000);
  }
}

/** Moves an entry's ring forward to bucket `b`, clearing the buckets it skips. */
function advance(e: Entry, b: number): void {
  if (b <= e.last) return;
  if (b - e.last >= BUCKETS) e.buckets.fill(0);
  else for (let i = e.last + 1; i <= b; i++) e.buckets[mod(i)] = 0;
  e.last = b;
}

function mod(b: number): number {
  return ((b % BUCKETS) + BUCKETS) % BUCKETS;
}
