import { fromFields, type Fields } from "./fields.js";
import type { FieldLimits, Parsed } from "./parsed.js";

const LOOKS_LIKE_LOGFMT = /^[A-Za-z_@][\w.@/-]{0,127}=/;

/**
 * A logfmt line (`level=info msg="listening" addr=:8080`, as logrus, go-kit, slog and Heroku
 * write). Undefined unless the line starts with `key=` and holds at least two pairs, so a plain
 * sentence with one `=` in it stays plain.
 */
export function parseLogfmtLine(line: string, limits: FieldLimits): Parsed | undefined {
  if (!LOOKS_LIKE_LOGFMT.test(line)) return undefined;
  const fields: Fields = new Map();
  let dropped = 0;
  let pairs = 0;
  let i = 0;
  const n = line.length;
  while (i < n) {
    while (i < n && line.charCodeAt(i) === 0x20) i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (c === 0x3d /* = */ || c === 0x20 || c === 0x22 /* " */) break;
      i++;
    }
    const key = line.slice(keyStart, i);
    if (key.length === 0) return undefined; // a stray quote or `=`: not logfmt
    let value: string | boolean = true;
    if (line.charCodeAt(i) === 0x3d) {
      i++;
      pairs++;
      if (line.charCodeAt(i) === 0x22) {
        i++;
        let v = "";
        let start = i;
        for (;;) {
          if (i >= n) return undefined; // unterminated quote
          const c = line.charCodeAt(i);
          if (c === 0x22) break;
          if (c === 0x5c /* \ */ && i + 1 < n) {
            v += line.slice(start, i);
            const e = line[i + 1];
            v += e === "n" ? "\n" : e === "t" ? "\t" : e === "r" ? "\r" : (e ?? "");
            i += 2;
            start = i;
            continue;
          }
          i++;
        }
        value = v + line.slice(start, i);
        i++; // closing quote
      } else {
        const start = i;
        while (i < n && line.charCodeAt(i) !== 0x20) i++;
        value = line.slice(start, i);
      }
    } else if (line.charCodeAt(i) === 0x22) {
      return undefined;
    }
    if (fields.size < limits.maxAttributes && key.length <= 128) fields.set(key, value);
    else dropped++;
  }
  if (pairs < 2) return undefined;
  return fromFields(fields, dropped, "logfmt", line, limits);
}
