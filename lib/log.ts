import { pino, type Logger } from "pino";

export type { Logger };

/** JSON lines on stderr; `level` from configuration. Tests pass `silent`. */
export function createLogger(name: string, level: string = process.env.VIGIE_LOG_LEVEL ?? "info"): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}
