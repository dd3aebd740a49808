import { configuredPattern, nativePattern, type Pattern } from "./pattern.js";
import type { AttrValue } from "./parse/index.js";

/** A secret shape and what replaces it (`$1`… keep groups). */
export interface RedactionRule {
  name: string;
  pattern: Pattern;
  replacement: string;
}

const MASK = "[REDACTED]";

/** Secrets that must never leave the node, whatever the configuration adds. */
export const DEFAULT_REDACTIONS: RedactionRule[] = [
  { name: "authorization", pattern: nativePattern(/\b(Bearer|Basic|Token)\s+[A-Za-z0-9\-._~+/]{8,4096}=*/gi), replacement: `$1 ${MASK}` },
  { name: "url-password", pattern: nativePattern(/\b([a-z][a-z0-9+.-]{1,20}:\/\/[^\s:@/]{1,256}):[^\s@/]{1,256}@/gi), replacement: `$1:${MASK}@` },
  {
    name: "secret-field",
    pattern: nativePattern(/\b(password|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|refresh[_-]?token|client[_-]?secret|private[_-]?key)(["']?\s{0,3}[:=]\s{0,3}["']?)[^\s"'&,;]{1,4096}/gi),
    replacement: `$1$2${MASK}`,
  },
  { name: "aws-access-key", pattern: nativePattern(/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g), replacement: MASK },
  { name: "github-token", pattern: nativePattern(/\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g), replacement: MASK },
  { name: "slack-token", pattern: nativePattern(/\bxox[abposr]-[A-Za-z0-9-]{10,250}/g), replacement: MASK },
  { name: "stripe-key", pattern: nativePattern(/\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,247}\b/g), replacement: MASK },
  { name: "google-api-key", pattern: nativePattern(/\bAIza[0-9A-Za-z\-_]{35}\b/g), replacement: MASK },
  { name: "jwt", pattern: nativePattern(/\beyJ[A-Za-z0-9_-]{5,4096}\.eyJ[A-Za-z0-9_-]{5,8192}\.[A-Za-z0-9_-]{5,4096}/g), replacement: MASK },
];

/** Any default could match only where one of these is: most lines are skipped after one test. */
const DEFAULT_HINT = /bearer|basic|token|:\/\/|pass|pwd|secret|key|AKIA|ASIA|gh[pousr]_|github_pat|xox|k_live|k_test|AIza|eyJ/i;
/** Attribute keys whose value is a secret whatever it looks like (`password`, `db.api_key`, …). */
const SECRET_KEY = /(?:^|[._-])(?:password|passwd|pwd|secret|api[_-]?key|apikey|token|access[_-]?token|client[_-]?secret|private[_-]?key|authorization|cookie)$/i;

export interface RedactionConfig {
  /** Apply DEFAULT_REDACTIONS. Default true. */
  defaults?: boolean;
  /** More patterns (RE2 syntax), applied after the defaults. */
  patterns?: { name: string; pattern: string; replacement?: string }[];
}

/** Redaction compiled once at load; a bad pattern is an error naming its place in the configuration. */
export class Redactor {
  private readonly defaults: readonly RedactionRule[];
  private readonly custom: readonly RedactionRule[];

  constructor(config: RedactionConfig = {}, path = "agent.logs.redact") {
    this.defaults = config.defaults === false ? [] : DEFAULT_REDACTIONS;
    this.custom = (config.patterns ?? []).map((p, i) => ({ name: p.name, pattern: configuredPattern(p.pattern, `${path}.patterns[${i}].pattern`), replacement: p.replacement ?? MASK }));
  }

  /** The text with every secret replaced. */
  text(s: string): string {
    if (this.defaults.length > 0 && DEFAULT_HINT.test(s)) {
      for (const r of this.defaults) s = r.pattern.replace(s, r.replacement);
    }
    for (const r of this.custom) if (r.pattern.test(s)) s = r.pattern.replace(s, r.replacement);
    return s;
  }

  /** Attributes with secrets replaced: values of secret-named keys entirely, others by pattern. */
  attributes(attrs: Record<string, AttrValue>): Record<string, AttrValue> {
    for (const k in attrs) {
      const v = attrs[k];
      if (this.defaults.length > 0 && SECRET_KEY.test(k) && v !== undefined && typeof v !== "boolean") attrs[k] = MASK;
      else if (typeof v === "string") attrs[k] = this.text(v);
    }
    return attrs;
  }
}
