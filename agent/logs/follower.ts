import type { ContainerPipeline, Checkpoint, PipelineStats } from "./pipeline.js";
import type { LogContainer, LogSink } from "./ports.js";
import type { LogTail, TailStats } from "./tail.js";

/** How one container's log is doing, for the agent's metrics and `/healthz`. */
export interface ContainerLogStats extends PipelineStats, TailStats {
  id: string;
  name: string;
  mode: "file" | "api";
  /** Deliveries the sink refused (the records were read again). */
  sinkErrors: number;
}

export type StepResult = "more" | "idle" | "ended";

/** One followed container, whatever its cursor type. */
export interface Following {
  readonly container: LogContainer;
  gone: boolean;
  step(budget: number, sink: LogSink, now: number): Promise<StepResult>;
  stats(): ContainerLogStats;
  close(): Promise<void>;
}

export interface FollowerParts<C> {
  container: LogContainer;
  tail: LogTail<C>;
  pipeline: ContainerPipeline<C>;
  committed: Checkpoint<C> | undefined;
  /** Opens the log again at a checkpoint (after the sink refused records). */
  reopen: (checkpoint: Checkpoint<C> | undefined) => Promise<LogTail<C>>;
  /** Writes the position; called only after the sink accepted what it covers. */
  save: (checkpoint: Checkpoint<C>) => Promise<void>;
  dropReportMs: number;
  retryMs: number;
}

/**
 * Reads a container's log a budget at a time, runs it through its pipeline, hands the records
 * to the sink and, once the sink accepted them, commits the checkpoint. A refused delivery
 * rewinds to the last committed checkpoint: the records are made again, never skipped.
 */
export class Follower<C> implements Following {
  gone = false;
  private sinkErrors = 0;
  private retryAt = 0;
  private lastReport: number | undefined;
  private committedJson: string;

  constructor(private readonly p: FollowerParts<C>) {
    this.committedJson = JSON.stringify(p.committed ?? null);
  }

  get container() {
    return this.p.container;
  }

  async step(budget: number, sink: LogSink, now: number): Promise<StepResult> {
    if (now < this.retryAt) return "idle";
    const { tail, pipeline } = this.p;
    const read = await tail.read(budget, this.gone);
    for (const e of read.entries) pipeline.push(e);
    pipeline.flushStale();
    if (read.ended) pipeline.flushAll();
    this.lastReport ??= now;
    if (now - this.lastReport >= this.p.dropReportMs || read.ended) {
      pipeline.reportDrops();
      this.lastReport = now;
    }
    const { records, checkpoint } = pipeline.take();
    if (records.length > 0) {
      try {
        await sink(records);
      } catch {
        pipeline.stats.records -= records.length;
        this.sinkErrors++;
        this.retryAt = now + this.p.retryMs;
        await tail.close();
        this.p.tail = await this.p.reopen(this.p.committed);
        pipeline.rewind(this.p.committed);
        return "idle";
      }
    }
    if (checkpoint) {
      const json = JSON.stringify(checkpoint);
      if (json !== this.committedJson) {
        await this.p.save(checkpoint);
        this.p.committed = checkpoint;
        this.committedJson = json;
      }
    }
    return read.ended ? "ended" : read.more ? "more" : "idle";
  }

  stats(): ContainerLogStats {
    return { id: this.p.container.id, name: this.p.container.name, mode: this.p.tail.mode, ...this.p.pipeline.stats, ...this.p.tail.stats, sinkErrors: this.sinkErrors };
  }

  close(): Promise<void> {
    return this.p.tail.close();
  }
}
