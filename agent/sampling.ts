import { pointCount, type MetricsPayload, type ResourceMetrics } from "../protocol/index.js";
import { inSpan, Periodic, type Logger } from "../lib/index.js";
import type { AgentMetrics } from "./selfmetrics.js";
import type { Emitter, MetricSource, Source } from "./source.js";

export interface SamplingOptions {
  /** Sampling interval, ms. */
  intervalMs: number;
  /** The metric sources asked every interval (host, containers). */
  sources: MetricSource[];
  metrics: AgentMetrics;
  log: Logger;
  /** Attributes of the cycle's trace span (host.name, node.id). */
  spanAttributes: Record<string, string>;
  /** Wall clock, Unix ms: the time the message says it was sampled. Default Date.now. */
  now?: () => number;
}

/**
 * The sampling loop: every interval it asks every metric source at once and emits one `metrics`
 * message holding all of their resources (one message per cycle keeps the collector's work per
 * node constant). A failed source is counted and left out of that cycle; the containers' sample
 * says whether it is complete, and the message carries it (`containersComplete`).
 */
export class SamplingLoop implements Source {
  readonly name = "sampling";
  private readonly loop: Periodic;
  private emitter: Emitter | undefined;
  private readonly now: () => number;

  constructor(private readonly options: SamplingOptions) {
    this.now = options.now ?? Date.now;
    this.loop = new Periodic(
      { name: "sampling", intervalMs: options.intervalMs, reuseSignal: true, onError: (err) => options.log.error({ err: (err as Error).message }, "sampling cycle failed") },
      // One trace per cycle: sample here, publish in the publisher, ingest and store in the collector.
      (signal) => inSpan("vigie.sample", options.spanAttributes, () => this.cycle(signal)),
    );
  }

  start(emitter: Emitter): void {
    this.emitter = emitter;
    this.loop.start();
  }

  /** Runs one cycle now (the loop does it every interval); resolves when it ends or times out. */
  sampleNow(): Promise<void> {
    return this.loop.tick();
  }

  /** Waits for the cycle in flight (its message is emitted), then closes the sources. */
  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all(this.options.sources.map(async (s) => s.close?.()));
  }

  private async cycle(signal: AbortSignal): Promise<void> {
    const { sources, metrics, log } = this.options;
    const emitter = this.emitter;
    if (!emitter) return;
    const end = metrics.cycleDuration.startTimer();
    const time = this.now();
    const results = await Promise.allSettled(sources.map((s) => s.sample(signal)));
    const resources: ResourceMetrics[] = [];
    let complete: boolean | undefined;
    results.forEach((r, i) => {
      const name = (sources[i] as MetricSource).name;
      if (r.status === "fulfilled") {
        resources.push(...r.value);
        metrics.samples.inc({ source: name }, r.value.reduce((n, rm) => n + pointCount(rm), 0));
        if (r.value.containersComplete !== undefined) complete = (complete ?? true) && r.value.containersComplete;
      } else {
        metrics.sourceErrors.inc({ source: name });
        log.warn({ source: name, err: (r.reason as Error).message }, "source failed this cycle");
      }
    });
    // A run abandoned at its timeout emits nothing: the next cycle is already due.
    if (signal.aborted) return;
    // A source that failed says nothing of completeness: the message then does not claim it either.
    const payload: MetricsPayload = complete === undefined ? { resources } : { resources, containersComplete: complete };
    await emitter.emit("metrics", payload, time);
    metrics.cycles.inc();
    end();
  }
}
