import { z } from "zod";
import { parseDuration } from "../../lib/duration.js";
import { parseLabelMatchers, type Labels, type Matchers } from "./matchers.js";
import { SCOPE_LABELS, SIGNAL_NAMES, SIGNALS, type Scope, type SignalName } from "./signals.js";
import { compileTemplate, type Template } from "./template.js";

/** How a series' samples in the window become one value. */
export const AGGREGATIONS = ["last", "avg", "min", "max", "rate", "increase", "delta", "predict_linear"] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];
export const SEVERITIES = ["critical", "warning", "info"] as const;
export type Severity = (typeof SEVERITIES)[number];
export const COMPARISONS = [">", ">=", "<", "<=", "==", "!="] as const;
export type Comparison = (typeof COMPARISONS)[number];

const MAX_DURATION = 30 * 86_400_000;
const duration = (what: string, min = 0) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < min || ms > MAX_DURATION) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${what}: expected a duration such as 30s, 5m or 1h (at least ${min} ms, at most 30d)` });
      return z.NEVER;
    }
    return ms;
  });

const labelName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected a label name ([A-Za-z_][A-Za-z0-9_]*)").max(128);
const CONDITION = /^\s*(>=|<=|==|!=|>|<)\s*(-?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?)\s*$/i;

/** One rule as written in `alerts/*.yaml` (snake_case, as in Prometheus rule files). */
export const RuleSchema = z
  .object({
    /** The alert's name (`alertname`). */
    name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected [A-Za-z_][A-Za-z0-9_]* (it becomes the alertname label)").max(128),
    /** What is measured: a row of the signal table (`signals.ts`). */
    signal: z.enum(SIGNAL_NAMES as [SignalName, ...SignalName[]]),
    /** Optional; must be the signal's own scope (written down for the reader). */
    scope: z.enum(["node", "container", "service", "check", "cluster"]).optional(),
    /** Only series whose labels match (Alertmanager matcher syntax). */
    match: z.array(z.string().max(1200)).max(32).default([]),
    aggregation: z.enum(AGGREGATIONS).default("last"),
    /** The window the aggregation looks back over. Default 1m. */
    window: duration("window", 1000).default("1m"),
    /** predict_linear only: how far ahead. */
    predict: duration("predict", 1000).optional(),
    /** `> 85`, `<= 0`, `== 0`: the alert is active while it holds. */
    condition: z.string().regex(CONDITION, "expected a comparison and a number, e.g. '> 85' or '== 0'").optional(),
    /** Absence rule: active for a known series with no sample for this long (the window is ignored). */
    absent: duration("absent", 1000).optional(),
    for: duration("for").default(0),
    keep_firing_for: duration("keep_firing_for").default(0),
    /** A firing alert whose data stopped is marked missing, then resolved (saying so) after this long. Default 15m. */
    resolve_missing_after: duration("resolve_missing_after", 1000).default("15m"),
    severity: z.enum(SEVERITIES),
    labels: z.record(labelName, z.string().max(1024)).default({}),
    annotations: z.record(labelName, z.string().max(4096)).default({}),
  })
  .strict()
  .superRefine((r, ctx) => {
    if ((r.condition === undefined) === (r.absent === undefined)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["condition"], message: "a rule has either a condition or absent, not both or neither" });
    const s = SIGNALS[r.signal];
    if (r.scope !== undefined && r.scope !== s.scope) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["scope"], message: `signal ${r.signal} has scope ${s.scope}` });
    if (r.aggregation === "predict_linear" && r.predict === undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["predict"], message: "predict_linear needs predict (how far ahead)" });
    if (r.aggregation !== "predict_linear" && r.predict !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["predict"], message: "predict is only for aggregation predict_linear" });
    if ((r.aggregation === "rate" || r.aggregation === "increase") && s.kind !== "counter") ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["aggregation"], message: `${r.aggregation} needs a counter; ${r.signal} is a gauge` });
    for (const reserved of ["alertname", "severity"]) if (reserved in r.labels) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["labels", reserved], message: `${reserved} is set by the rule itself` });
  });

export const RuleFileSchema = z.object({ rules: z.array(z.unknown()).max(1000) }).strict();

export type RuleSpec = z.infer<typeof RuleSchema>;

/** A rule ready to evaluate: everything parsed once. */
export interface Rule {
  name: string;
  /** Where it came from, for messages. */
  file: string;
  signal: SignalName;
  scope: Scope;
  matchers: Matchers;
  /** The matcher strings as written (for export). */
  match: readonly string[];
  aggregation: Aggregation;
  windowMs: number;
  predictMs?: number;
  condition?: { op: Comparison; threshold: number };
  absentMs?: number;
  forMs: number;
  keepFiringForMs: number;
  resolveMissingAfterMs: number;
  severity: Severity;
  labels: Labels;
  /** Annotations as written (for export) and compiled. */
  annotationText: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, Template>>;
}

/** Turns a validated spec into a rule; a string names the field at fault. */
export function compileRule(spec: RuleSpec, file: string): Rule | { field: string; message: string } {
  const matchers = parseLabelMatchers(spec.match);
  if (typeof matchers === "string") return { field: "match", message: matchers };
  const annotations: Record<string, Template> = {};
  for (const [k, text] of Object.entries(spec.annotations)) {
    const t = compileTemplate(text);
    if (typeof t === "string") return { field: `annotations.${k}`, message: t };
    annotations[k] = t;
  }
  let condition: Rule["condition"];
  if (spec.condition !== undefined) {
    const m = CONDITION.exec(spec.condition) as RegExpExecArray;
    condition = { op: m[1] as Comparison, threshold: Number(m[2]) };
  }
  return {
    name: spec.name,
    file,
    signal: spec.signal,
    scope: SIGNALS[spec.signal].scope,
    matchers,
    match: spec.match,
    aggregation: spec.aggregation,
    windowMs: spec.window,
    ...(spec.predict !== undefined ? { predictMs: spec.predict } : {}),
    ...(condition ? { condition } : {}),
    ...(spec.absent !== undefined ? { absentMs: spec.absent } : {}),
    forMs: spec.for,
    keepFiringForMs: spec.keep_firing_for,
    resolveMissingAfterMs: spec.resolve_missing_after,
    severity: spec.severity,
    labels: spec.labels,
    annotationText: spec.annotations,
    annotations,
  };
}

export function compare(op: Comparison, value: number, threshold: number): boolean {
  switch (op) {
    case ">": return value > threshold;
    case ">=": return value >= threshold;
    case "<": return value < threshold;
    case "<=": return value <= threshold;
    case "==": return value === threshold;
    case "!=": return value !== threshold;
  }
}

/** The labels an alert of this rule carries: the series' identity labels, the rule's labels, alertname and severity. */
export function alertLabels(rule: Rule, seriesLabels: Labels): Labels {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(seriesLabels)) if (v !== "") out[k] = v;
  Object.assign(out, rule.labels);
  out.alertname = rule.name;
  out.severity = rule.severity;
  return out;
}

/** Labels a scope's series are expected to carry (documentation and export). */
export function identityLabels(rule: Rule): readonly string[] {
  return SCOPE_LABELS[rule.scope];
}
