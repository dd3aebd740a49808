import { RE2JS } from "re2js";

/** A compiled pattern: native for Vigie's own vetted defaults, RE2 (linear time) for configured ones. */
export interface Pattern {
  test(s: string): boolean;
  /** Every match replaced; `$1`… name groups. */
  replace(s: string, replacement: string): string;
  readonly source: string;
}

/** A configured pattern that does not compile; names where it was configured and what it is. */
export class PatternError extends Error {
  override readonly name = "PatternError";
  constructor(
    readonly path: string,
    readonly pattern: string,
    reason: string,
  ) {
    super(`${path}: ${JSON.stringify(pattern)} is not a valid regular expression (${reason})`);
  }
}

/** One of Vigie's defaults: a JavaScript RegExp written to run in linear time. */
export function nativePattern(re: RegExp): Pattern {
  const global = new RegExp(re.source, re.flags.includes("g") ? re.flags : `${re.flags}g`);
  const once = new RegExp(re.source, re.flags.replace("g", ""));
  return { source: re.source, test: (s) => once.test(s), replace: (s, r) => s.replace(global, r) };
}

/**
 * A pattern from configuration, compiled with RE2: whatever an operator writes, a hostile line
 * cannot make it backtrack for seconds. `(?i)` at the start makes it case-insensitive.
 */
export function configuredPattern(source: string, path: string): Pattern {
  if (source.length === 0 || source.length > 1024) throw new PatternError(path, source.slice(0, 64), "between 1 and 1024 characters");
  let re: RE2JS;
  try {
    re = RE2JS.compile(source);
  } catch (err) {
    throw new PatternError(path, source, (err as Error).message);
  }
  return { source, test: (s) => re.test(s), replace: (s, r) => re.matcher(s).replaceAll(r) };
}
