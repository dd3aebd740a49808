/**
 * Making any line safe to ship: whatever bytes a container writes (terminal colours, control
 * characters, broken UTF-8, lone surrogates from a JSON `\ud800` escape), the record that leaves
 * the node is well-formed text of bounded size.
 */

/* eslint-disable no-control-regex -- matching control characters is what these are for */
const NEEDS_CLEANING = /[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]/;
// CSI (`ESC [ … final`), OSC (`ESC ] … BEL|ESC \`) and two-character escapes: colours and cursor moves.
const ANSI = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]{0,256}(?:\x07|\x1b\\)?|[@-Z\\-_])/g;
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/g;
/* eslint-enable no-control-regex */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Removes terminal escape sequences, replaces other control characters (all but tab and
 * newline) and lone surrogates with U+FFFD, and drops a trailing carriage return.
 */
export function cleanText(s: string): string {
  if (s.endsWith("\r")) s = s.slice(0, -1);
  if (!NEEDS_CLEANING.test(s)) return s;
  return s.replace(ANSI, "").replace(CONTROL, "\ufffd").replace(LONE_SURROGATE, "\ufffd");
}

export interface Truncated {
  text: string;
  /** True when the text was cut. */
  truncated: boolean;
  /** UTF-8 length before cutting, when it was cut. */
  bytes?: number;
}

/** Cuts `s` to at most `maxBytes` of UTF-8, on a character boundary. */
export function truncateUtf8(s: string, maxBytes: number): Truncated {
  // A string of n code units takes at most 3n bytes: short lines need no measuring.
  if (s.length * 3 <= maxBytes) return { text: s, truncated: false };
  const bytes = Buffer.byteLength(s, "utf8");
  if (bytes <= maxBytes) return { text: s, truncated: false };
  const buf = Buffer.from(s, "utf8");
  let end = maxBytes;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return { text: buf.toString("utf8", 0, end), truncated: true, bytes };
}
