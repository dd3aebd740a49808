import type { Checkpoint, RawEntry } from "./pipeline.js";

/** What one read of a container's log gave. */
export interface ReadResult<C> {
  entries: RawEntry<C>[];
  /** There is more to read right away (the read stopped at its byte budget). */
  more: boolean;
  /** The log is over: the container is gone and everything was read. */
  ended: boolean;
}

/** What a tail counts, for the agent's metrics. */
export interface TailStats {
  /** Lines that were not entries of the log's format (torn writes, oversized frames, a foreign file). */
  invalid: number;
  /** Times data went away before it was read (rotated past the last file, truncated in place). */
  lost: number;
}

/** A container's log read from a cursor on: its files, or the engine's stream. */
export interface LogTail<C> {
  readonly mode: "file" | "api";
  readonly stats: TailStats;
  /** Orders cursors in the log (stdout and stderr share one order). */
  compare(a: C, b: C): number;
  /** Reads at most about `maxBytes`; `gone` says the container is no longer running. */
  read(maxBytes: number, gone: boolean): Promise<ReadResult<C>>;
  close(): Promise<void>;
}

/** The earlier of a checkpoint's two cursors: where reading starts again. */
export function earliest<C>(checkpoint: Checkpoint<C>, compare: (a: C, b: C) => number): C {
  return compare(checkpoint.stdout, checkpoint.stderr) <= 0 ? checkpoint.stdout : checkpoint.stderr;
}
