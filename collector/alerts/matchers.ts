import { RE2JS } from "re2js";

/** Alert labels: name → value. */
export type Labels = Readonly<Record<string, string>>;

/**
 * One label matcher as Alertmanager writes them: `name="value"`, `name!="value"`,
 * `name=~"regex"`, `name!~"regex"` (quotes optional). A missing label matches as the empty string.
 */
export interface LabelMatcher {
  name: string;
  op: "=" | "!=" | "=~" | "!~";
  value: string;
}

interface CompiledMatcher extends LabelMatcher {
  test?: (s: string) => boolean;
}

/** Bounds on what a matcher may hold: silences come from the API, rules from files. */
export const MATCHER_LIMITS = { nameChars: 128, valueChars: 1024 } as const;

/**
 * Parses a matcher; a string says what is wrong. Regexes are anchored (as in Alertmanager) and
 * compiled with RE2 semantics: matching time is linear in the input, whatever the pattern.
 */
export function parseLabelMatcher(text: string): CompiledMatcher | string {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$/s.exec(text);
  if (!m) return `${JSON.stringify(text.slice(0, 80))} is not name=value, name!=value, name=~regex or name!~regex`;
  let value = m[3] as string;
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(["\\])/g, "$1");
  return compileMatcher({ name: m[1] as string, op: m[2] as LabelMatcher["op"], value });
}

/** Checks bounds and compiles the regex of a matcher given as an object (API bodies). */
export function compileMatcher(m: LabelMatcher): CompiledMatcher | string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(m.name) || m.name.length > MATCHER_LIMITS.nameChars) return `label name ${JSON.stringify(m.name.slice(0, 80))} is not [A-Za-z_][A-Za-z0-9_]* (at most ${MATCHER_LIMITS.nameChars} characters)`;
  if (m.value.length > MATCHER_LIMITS.valueChars) return `the value of ${m.name} is longer than ${MATCHER_LIMITS.valueChars} characters`;
  if (m.op === "=" || m.op === "!=") return { name: m.name, op: m.op, value: m.value };
  try {
    const re = RE2JS.compile(`^(?:${m.value})$`);
    return { name: m.name, op: m.op, value: m.value, test: (s) => re.matches(s) };
  } catch (err) {
    return `${JSON.stringify(m.value.slice(0, 80))} is not a regular expression (${(err as Error).message})`;
  }
}

/** Parses a list of matchers; the first problem wins (with the matcher's position). */
export function parseLabelMatchers(list: readonly string[]): CompiledMatcher[] | string {
  const out: CompiledMatcher[] = [];
  for (const [i, text] of list.entries()) {
    const m = parseLabelMatcher(text);
    if (typeof m === "string") return `matcher ${i + 1}: ${m}`;
    out.push(m);
  }
  return out;
}

export type Matchers = readonly CompiledMatcher[];

export function matches(labels: Labels, matchers: Matchers): boolean {
  for (const m of matchers) {
    const v = labels[m.name] ?? "";
    switch (m.op) {
      case "=": if (v !== m.value) return false; break;
      case "!=": if (v === m.value) return false; break;
      case "=~": if (!m.test?.(v)) return false; break;
      case "!~": if (m.test?.(v)) return false; break;
    }
  }
  return true;
}

export function formatMatcher(m: LabelMatcher): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}

/** Alertmanager-style fingerprint of a label set: stable, order-independent, 16 hex digits (FNV-1a 64). */
export function fingerprint(labels: Labels): string {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  for (const k of Object.keys(labels).sort()) {
    for (const ch of `${k}\u00ff${labels[k]}\u00ff`) {
      h ^= BigInt(ch.codePointAt(0) as number);
      h = (h * prime) & 0xffffffffffffffffn;
    }
  }
  return h.toString(16).padStart(16, "0");
}
