/**
 * How much of the collector's time one node's messages may take: a token bucket per node, in
 * milliseconds of processing. Each node earns `budgetMsPerSecond` per second up to `burstMs`, and
 * pays what its messages cost. A node in debt has its next messages put back for a while, so a
 * node sending heavy (or very many) valid messages cannot hold up every other node behind it in
 * the stream. Pure: time is given, cost is measured by the caller.
 */
export interface FairShareOptions {
  /** Processing time a node earns per second of wall time, in ms. Default 250 (a quarter core). */
  budgetMsPerSecond?: number;
  /** Most a node can save up, in ms. Default 2000. */
  burstMs?: number;
  /** Longest a deferred message is put back for, in ms. Default 5000. */
  maxDelayMs?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class FairShare {
  private readonly buckets = new Map<string, Bucket>();
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxDelay: number;

  constructor(options: FairShareOptions = {}) {
    this.rate = (options.budgetMsPerSecond ?? 250) / 1000;
    this.burst = options.burstMs ?? 2000;
    this.maxDelay = options.maxDelayMs ?? 5000;
  }

  /** 0 when the node may go now; else how long (ms) its message should wait. */
  delay(node: string, now: number): number {
    const b = this.refill(node, now);
    if (!b || b.tokens >= 0) return 0;
    return Math.min(this.maxDelay, Math.ceil(-b.tokens / this.rate));
  }

  /** Records what one of the node's messages cost (ms). */
  charge(node: string, costMs: number, now: number): void {
    const b = this.refill(node, now) ?? { tokens: this.burst, at: now };
    b.tokens -= costMs;
    this.buckets.set(node, b);
    if (this.buckets.size > 100_000) this.prune(now);
  }

  private refill(node: string, now: number): Bucket | undefined {
    const b = this.buckets.get(node);
    if (!b) return undefined;
    b.tokens = Math.min(this.burst, b.tokens + Math.max(0, now - b.at) * this.rate);
    b.at = now;
    return b;
  }

  /** Forgets the nodes whose bucket is full again: they are as if never seen. */
  private prune(now: number): void {
    for (const [node] of this.buckets) if ((this.refill(node, now)?.tokens ?? 0) >= this.burst) this.buckets.delete(node);
  }
}
