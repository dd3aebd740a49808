export interface BackoffOptions {
  /** The first wait, ms. */
  initialMs: number;
  /** The longest wait, ms. */
  maxMs: number;
  /**
   * The share of each wait drawn at random, 0–1: a wait is `ceiling × (1 − jitter + jitter × random())`.
   * Default 0.5 ("equal jitter": never less than half the ceiling, so a retry storm spreads out
   * without ever retrying at once). 0 gives exact waits (a breaker whose tests count them).
   */
  jitter?: number;
  /** Default Math.random. */
  random?: () => number;
}

/**
 * Exponential backoff: the ceiling starts at `initialMs` and doubles with every failure in a
 * row up to `maxMs`; `reset()` after a success. One helper for every retry in Vigie (the
 * publisher, the Docker engine's breaker, the engine's event stream), so they all wait the same way.
 */
export class Backoff {
  private failures = 0;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    if (!(options.initialMs > 0) || !(options.maxMs >= options.initialMs)) {
      throw new Error(`backoff needs 0 < initialMs ≤ maxMs, got ${options.initialMs} and ${options.maxMs}`);
    }
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
    this.random = options.random ?? Math.random;
  }

  /** Failures in a row since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  /** Counts one more failure and returns how long to wait before the next try. */
  next(): number {
    this.failures++;
    // The exponent is capped: 2^20 × any sane initial wait is past any sane ceiling.
    const ceiling = Math.min(this.options.maxMs, this.options.initialMs * 2 ** Math.min(this.failures - 1, 20));
    return ceiling * (1 - this.jitter + this.jitter * this.random());
  }

  /** A success: the next failure waits `initialMs` again. */
  reset(): void {
    this.failures = 0;
  }
}
