import { flatten, fromFields } from "./fields.js";
import type { FieldLimits, Parsed } from "./parsed.js";

/**
 * A JSON line (pino, bunyan, zap, logrus, slog, winston, ECS…): level, message, time and trace
 * context become record fields, the rest attributes. Undefined when the line is not a JSON object.
 */
export function parseJsonLine(line: string, limits: FieldLimits): Parsed | undefined {
  if (line.charCodeAt(0) !== 0x7b /* { */ || line.charCodeAt(line.length - 1) !== 0x7d /* } */) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  const { fields, dropped } = flatten(value as Record<string, unknown>, limits.maxAttributes);
  return fromFields(fields, dropped, "json", line, limits);
}
