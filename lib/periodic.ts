/** What a periodic task reports about itself, for metrics and logs. */
export interface PeriodicStats {
  runs: number;
  errors: number;
  timeouts: number;
  /** Runs skipped because the previous one was still going. */
  overlaps: number;
  lastDurationMs: number;
}

export interface PeriodicOptions {
  name: string;
  intervalMs: number;
  /** A run taking longer than this is abandoned (its signal aborted) and counted. Default: the interval. */
  timeoutMs?: number;
  /** Run once immediately on start. Default true. */
  runAtStart?: boolean;
  onError?: (err: unknown, name: string) => void;
  now?: () => number;
  /**
   * Give every run the same AbortSignal until a run times out (its signal is then aborted and the next
   * run gets a fresh one). For tasks run every second that leave no listener on the signal: making an
   * AbortController costs ~0.1 ms in Node 20. Default false: a signal per run.
   */
  reuseSignal?: boolean;
}

/**
 * The one shape of every periodic loop in Vigie (sampling, probing, evaluation, flushing):
 * never overlaps itself, bounds each run by a timeout, counts errors without dying, does not
 * keep the process alive, and `stop()` waits for the run in flight.
 *
 * A run past its timeout has its signal aborted and is reported at once, but the loop does not
 * start another until the abandoned one has really ended: ticks meanwhile are counted as
 * overlaps. A task that ignored its signal would otherwise pile up runs, each holding files,
 * sockets and memory, behind the loop's back. Tasks should honour the signal so that an
 * abandoned run ends soon after its timeout.
 */
export class Periodic {
  readonly stats: PeriodicStats = { runs: 0, errors: 0, timeouts: 0, overlaps: 0, lastDurationMs: 0 };
  private timer: NodeJS.Timeout | undefined;
  /** Until the task itself has settled, timed out or not. */
  private busy: Promise<void> | undefined;
  /** Until the run is over for its callers: done, failed or timed out. */
  private current: Promise<void> | undefined;
  private stopped = false;
  private readonly now: () => number;
  private shared: AbortController | undefined;

  constructor(
    private readonly options: PeriodicOptions,
    private readonly task: (signal: AbortSignal) => Promise<void>,
  ) {
    this.now = options.now ?? (() => performance.now());
  }

  start(): void {
    this.stopped = false;
    // tick() never rejects: errors are counted and reported inside it.
    if (this.options.runAtStart ?? true) void this.tick();
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.timer.unref();
  }

  /**
   * Runs the task now unless a run is in flight (or an abandoned one has not ended yet);
   * resolves when this run ends or times out.
   */
  tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.busy) {
      this.stats.overlaps++;
      return this.current ?? this.busy;
    }
    const started = this.now();
    const controller = this.controller();
    let task: Promise<void>;
    try {
      task = this.task(controller.signal);
    } catch (err) {
      task = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const settled = task.then(
      () => undefined,
      () => undefined,
    );
    const clear = () => {
      if (this.busy !== settled) return;
      this.busy = undefined;
      this.current = undefined;
    };
    this.busy = settled;
    // A finished run frees the loop before its callers resume; an abandoned one when it ends.
    const current = this.watch(task, controller, started).then((timedOut) => {
      if (timedOut) void settled.then(clear);
      else clear();
    });
    this.current = current;
    return current;
  }

  /**
   * Stops the timer and waits for the run in flight. A run already abandoned is waited for at most
   * one more timeout: shutdown must not hang on a task that ignores its signal.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const busy = this.busy;
    if (!busy) return;
    await this.current;
    if (!this.busy) return;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = await Promise.race([
      busy.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.timeoutMs());
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    if (gaveUp) this.options.onError?.(new Error(`${this.options.name} run still going at stop, ${this.timeoutMs()} ms after it was abandoned`), this.options.name);
  }

  private timeoutMs(): number {
    return this.options.timeoutMs ?? this.options.intervalMs;
  }

  private controller(): AbortController {
    if (!this.options.reuseSignal) return new AbortController();
    this.shared ??= new AbortController();
    return this.shared;
  }

  /** Reports the run: its error, or its timeout (then its signal is aborted); true when it timed out. */
  private async watch(task: Promise<void>, controller: AbortController, started: number): Promise<boolean> {
    const timeoutMs = this.timeoutMs();
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timeout = setTimeout(() => resolve("timeout"), timeoutMs);
      timeout.unref();
    });
    try {
      const outcome = await Promise.race([task.then(() => "done" as const), timedOut]);
      if (outcome === "timeout") {
        this.stats.timeouts++;
        if (this.shared === controller) this.shared = undefined;
        const err = new Error(`${this.options.name} run exceeded ${timeoutMs} ms`);
        controller.abort(err);
        this.options.onError?.(err, this.options.name);
        return true;
      }
    } catch (err) {
      this.stats.errors++;
      this.options.onError?.(err, this.options.name);
    } finally {
      clearTimeout(timeout);
      this.stats.runs++;
      this.stats.lastDurationMs = this.now() - started;
    }
    return false;
  }
}
