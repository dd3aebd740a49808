import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { compileRule, RuleFileSchema, RuleSchema, type Rule } from "./rules.js";

/** One problem in a rule file: which file, which rule, which field, what is wrong. */
export interface RuleProblem {
  file: string;
  /** The rule's name, or `#N` (1-based) when it has none yet. */
  rule?: string;
  field?: string;
  message: string;
}

export function formatProblem(p: RuleProblem): string {
  return `${p.file}${p.rule ? `: rule ${p.rule}` : ""}${p.field ? `: ${p.field}` : ""}: ${p.message}`;
}

export type LoadResult = { ok: true; rules: Rule[]; files: string[] } | { ok: false; problems: RuleProblem[] };

/** Bounds on what a rule directory may hold: it is read at start-up and on every reload. */
export const LOAD_LIMITS = { files: 200, fileBytes: 1_048_576 } as const;

/** The `.yaml`/`.yml` files of a directory (sorted), or the file itself. */
export function ruleFiles(target: string): string[] {
  const st = statSync(target);
  if (!st.isDirectory()) return [target];
  return readdirSync(target)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(target, f));
}

/** Parses and validates one file's text (no I/O): every problem is reported, not only the first. */
export function parseRuleFile(file: string, text: string): { rules: Rule[]; problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    return { rules: [], problems: [{ file, message: `not valid YAML: ${(err as Error).message.split("\n")[0]}` }] };
  }
  const top = RuleFileSchema.safeParse(doc ?? {});
  if (!top.success) return { rules: [], problems: top.error.issues.map((i) => ({ file, field: i.path.join(".") || undefined, message: issueText(i) })) };
  const rules: Rule[] = [];
  for (const [i, raw] of top.data.rules.entries()) {
    const given = typeof raw === "object" && raw !== null && typeof (raw as { name?: unknown }).name === "string" ? String((raw as { name: string }).name).slice(0, 128) : undefined;
    const rule = given ?? `#${i + 1}`;
    const parsed = RuleSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push({ file, rule, field: issue.path.join(".") || undefined, message: issueText(issue, raw) });
      continue;
    }
    const compiled = compileRule(parsed.data, file);
    if ("field" in compiled) problems.push({ file, rule, field: compiled.field, message: compiled.message });
    else rules.push(compiled);
  }
  return { rules, problems };
}

/**
 * Loads every rule file of the targets (files or directories). Names must be unique across all
 * of them: the alertname is how operators and silences refer to a rule.
 */
export function loadRules(targets: readonly string[]): LoadResult {
  const problems: RuleProblem[] = [];
  const rules: Rule[] = [];
  const files: string[] = [];
  for (const target of targets) {
    let list: string[];
    try {
      list = ruleFiles(target);
    } catch (err) {
      problems.push({ file: target, message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    if (files.length + list.length > LOAD_LIMITS.files) {
      problems.push({ file: target, message: `more than ${LOAD_LIMITS.files} rule files` });
      break;
    }
    for (const file of list) {
      files.push(file);
      let text: string;
      try {
        if (statSync(file).size > LOAD_LIMITS.fileBytes) {
          problems.push({ file, message: `larger than ${LOAD_LIMITS.fileBytes} bytes` });
          continue;
        }
        text = readFileSync(file, "utf8");
      } catch (err) {
        problems.push({ file, message: `cannot read: ${(err as Error).message}` });
        continue;
      }
      const r = parseRuleFile(file, text);
      problems.push(...r.problems);
      rules.push(...r.rules);
    }
  }
  const seen = new Map<string, string>();
  for (const r of rules) {
    const other = seen.get(r.name);
    if (other !== undefined) problems.push({ file: r.file, rule: r.name, field: "name", message: `already defined in ${other}` });
    else seen.set(r.name, r.file);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, rules, files };
}

function issueText(issue: z.ZodIssue, raw?: unknown): string {
  if (issue.code === z.ZodIssueCode.unrecognized_keys) return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`;
  let value: unknown = raw;
  for (const p of issue.path) value = typeof value === "object" && value !== null ? (value as Record<string | number, unknown>)[p] : undefined;
  const shown = value === undefined ? "" : ` (got ${JSON.stringify(value)?.slice(0, 80)})`;
  return `${issue.message}${shown}`;
}
