import { parseRfc3339 } from "./timestamp.js";
import type { Stream } from "./pipeline.js";

/** One line of a `json-file` log: `{"log":"text\n","stream":"stdout","time":"2026-…Z"}`. */
export interface JsonFileEntry {
  stream: Stream;
  timeUnixNano: string;
  text: string;
  /** The engine cut a longer line here (no `\n` at the end of `log`). */
  partial: boolean;
}

/** Decodes a json-file line; undefined when it is not one (a torn write, a foreign file). */
export function decodeJsonFileLine(line: string): JsonFileEntry | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (v === null || typeof v !== "object") return undefined;
  const { log, stream, time } = v as { log?: unknown; stream?: unknown; time?: unknown };
  if (typeof log !== "string" || typeof time !== "string" || (stream !== "stdout" && stream !== "stderr")) return undefined;
  const nanos = parseRfc3339(time);
  if (nanos === undefined) return undefined;
  const partial = !log.endsWith("\n");
  return { stream, timeUnixNano: nanos, text: partial ? log : log.slice(0, -1), partial };
}
