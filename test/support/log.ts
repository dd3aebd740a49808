import { pino } from "pino";
import type { Logger } from "../../lib/index.js";
/** A logger that says nothing unless VIGIE_TEST_LOG is set (then it logs at that level). */
export const testLog = pino({ level: process.env.VIGIE_TEST_LOG ?? "silent" });

/** One line a captured logger wrote: pino's fields, with `msg` and `level` (a number). */
export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

/** A logger that keeps every line (debug and up) in `lines`, to assert what an operator would read. */
export function captureLog(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level: "debug" }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { log, lines };
}
