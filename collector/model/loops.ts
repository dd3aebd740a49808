import { Periodic, type Logger } from "../../lib/index.js";
import type { ClusterModel } from "./model.js";

export interface ModelLoopsOptions {
  /** How often node statuses are computed (a node going silent is noticed only by looking). */
  statusIntervalMs: number;
  now: () => number;
  log: Logger;
}

/**
 * The model's upkeep: rollups written to disk in small slices (messages wait behind a synchronous
 * flush), old rollups and series retired once a quarter of a minute, node statuses swept for the
 * ones that went stale or down.
 */
export function modelLoops(model: ClusterModel, options: ModelLoopsOptions): { start(): void; stop(): Promise<void> } {
  const { now, log } = options;
  let flushTicks = 0;
  const flush = new Periodic(
    { name: "history-flush", intervalMs: 250, runAtStart: false, onError: (err) => log.error({ err: (err as Error).message }, "history flush failed") },
    async () => {
      if (++flushTicks % 60 === 0) model.history.maintain(now());
      // At most ~40 ms of SQLite per tick.
      model.history.flush(20_000, 40);
    },
  );
  const status = new Periodic({ name: "absence", intervalMs: options.statusIntervalMs, runAtStart: false }, async () => {
    model.sweepNodeStatus(now());
  });
  return {
    start() {
      flush.start();
      status.start();
    },
    async stop() {
      await flush.stop();
      await status.stop();
    },
  };
}
