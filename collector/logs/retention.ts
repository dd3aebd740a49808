import { setImmediate as nextTurn } from "node:timers/promises";
import { Periodic, type Logger } from "../../lib/index.js";
import type { LogStore } from "./store.js";

export interface LogRetentionOptions {
  log: Logger;
  now: () => number;
  /** How often retention runs. Default 10 s. */
  intervalMs?: number;
  /** Most `maintain()` steps per run (each at most `maintainBatch` rows), the event loop free between them. Default 200 (100,000 rows per run). */
  maxSteps?: number;
}

/**
 * The log store's retention as a periodic loop: each run deletes what is past the age or size
 * bound in steps, giving the event loop back between steps so ingest and the API keep going.
 * Start it after the store opens; `stop()` waits for the run in flight.
 */
export function logRetentionLoop(store: LogStore, options: LogRetentionOptions): Periodic {
  const maxSteps = options.maxSteps ?? 200;
  return new Periodic(
    {
      name: "log-retention",
      intervalMs: options.intervalMs ?? 10_000,
      timeoutMs: 120_000,
      onError: (err) => options.log.error({ err: (err as Error).message }, "log retention failed"),
    },
    async (signal) => {
      let age = 0;
      let size = 0;
      for (let i = 0; i < maxSteps && !signal.aborted; i++) {
        const r = store.maintain(options.now());
        age += r.deletedByAge;
        size += r.deletedBySize;
        if (!r.more) break;
        await nextTurn();
      }
      if (age + size > 0) options.log.debug({ deletedByAge: age, deletedBySize: size }, "log retention");
    },
  );
}
