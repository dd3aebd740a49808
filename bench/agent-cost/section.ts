/** One line of the cost table: what was measured and what it cost. */
export interface CostRow {
  what: string;
  /** CPU milliseconds per cycle (or per scrape, for a peer). */
  cpuMs: number;
  /** Median wall time per cycle, ms. */
  wallMs?: number;
  /** Resident memory of the process that did the work, MB. */
  rssMb?: number;
  /** Child processes started during the measured cycles. */
  children?: number;
  note?: string;
  /** For a row of the agent process: how many containers ran, and which window of its life was measured. */
  agent?: { containers: number; window: "first minute" | "steady state" };
}

export interface BenchContext {
  /** Sampling cycles (or scrapes) to measure. */
  cycles: number;
  log(line: string): void;
}

/**
 * A part of the agent-cost bench. `run.ts` runs the sections in order in one process, so their
 * numbers are comparable side by side; a new part (containers with N running) is a new file
 * exporting one of these, added to the list in `run.ts`.
 */
export interface CostSection {
  name: string;
  run(ctx: BenchContext): Promise<CostRow[]>;
}
