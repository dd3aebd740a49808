import { parseJsonLine } from "./json.js";
import { parseLogfmtLine } from "./logfmt.js";
import { parsePlainLine } from "./plain.js";
import { DEFAULT_FIELD_LIMITS, type FieldLimits, type Parsed } from "./parsed.js";

export type { Parsed, AttrValue, FieldLimits } from "./parsed.js";
export { DEFAULT_FIELD_LIMITS } from "./parsed.js";
export { parseJsonLine } from "./json.js";
export { parseLogfmtLine } from "./logfmt.js";
export { parsePlainLine, detectSeverity } from "./plain.js";

/**
 * One message to its parsed form: JSON when it is a JSON object, logfmt when it is key=value
 * pairs, plain otherwise. A message of several lines (a joined stack trace) is parsed by its
 * first line's shape; plain parsing looks at its start only.
 */
export function parseMessage(text: string, limits: FieldLimits = DEFAULT_FIELD_LIMITS): Parsed {
  const c = text.charCodeAt(0);
  if (c === 0x7b) {
    const json = parseJsonLine(text, limits);
    if (json) return json;
  } else if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x40) {
    if (text.indexOf("\n") < 0) {
      const logfmt = parseLogfmtLine(text, limits);
      if (logfmt) return logfmt;
    }
  }
  return parsePlainLine(text);
}
