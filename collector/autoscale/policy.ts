import { parseBytes, parseDuration } from "../../lib/index.js";

/**
 * A service's autoscaling policy, from its `vigie.autoscale.*` labels or from the configuration
 * file (`autoscale.policies`), parsed once and checked whole. Every problem names the label (or
 * configuration path) and the value at fault; a service with any problem is left alone.
 *
 *   vigie.autoscale.enabled        `true` opts the service in (required, also for config-file policies)
 *   vigie.autoscale.min            fewest replicas (default 1; 0 only for a queue metric)
 *   vigie.autoscale.max            most replicas (required)
 *   vigie.autoscale.metric         cpu (default) | memory | check:<path in the status JSON> | nats:<stream>/<consumer>
 *   vigie.autoscale.target         cpu, memory: `70%` or `0.7` of the task's limit (else reservation, else one core
 *                                  for CPU); memory also a size per task (`256MiB`); check: the value per task;
 *                                  nats: pending messages per replica
 *   vigie.autoscale.cooldown.up    least time between two scale-ups (default 30s)
 *   vigie.autoscale.cooldown.down  least time between two scale-downs (default 1m)
 *   vigie.autoscale.stabilization  scale down to the highest recommendation of this window (default: the
 *                                  autoscaler's, 5m)
 */
export const LABEL_PREFIX = "vigie.autoscale.";
export const ENABLED_LABEL = `${LABEL_PREFIX}enabled`;

export type MetricSpec =
  | { kind: "cpu" }
  | { kind: "memory" }
  | { kind: "check"; path: string }
  | { kind: "nats"; stream: string; consumer: string };

/** How `target` reads: a fraction of capacity, bytes per task, a value per task, or messages per replica. */
export type TargetUnit = "ratio" | "bytes" | "value" | "messages";

export interface Policy {
  service: string;
  /** Where the policy came from. */
  source: "labels" | "config" | "labels+config";
  min: number;
  max: number;
  metric: MetricSpec;
  target: number;
  targetUnit: TargetUnit;
  cooldownUpMs: number;
  cooldownDownMs: number;
  /** Scale-down stabilization window; undefined = the autoscaler's default. */
  stabilizationMs?: number;
}

export interface PolicyProblem {
  /** The label (`vigie.autoscale.max`) or configuration path (`autoscale.policies[0].max`). */
  where: string;
  value: string;
  message: string;
}

export type PolicyResult = { ok: true; policy: Policy } | { ok: false; problems: PolicyProblem[]; message: string };

/** The keys a policy has, as label suffixes. */
export const POLICY_KEYS = ["enabled", "min", "max", "metric", "target", "cooldown.up", "cooldown.down", "stabilization"] as const;
export type PolicyKey = (typeof POLICY_KEYS)[number];

export const DEFAULT_COOLDOWN_UP_MS = 30_000;
export const DEFAULT_COOLDOWN_DOWN_MS = 60_000;
const MAX_REPLICAS = 1000;
const NAME = /^[A-Za-z0-9_-]{1,255}$/;
const PATH = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+|\[\d{1,6}\])*$/;

/** A policy field as written, with where it was written. */
export interface RawField {
  value: string;
  where: string;
}

/** `metric` text → spec, or the reason it is not one. */
export function parseMetric(text: string): MetricSpec | string {
  const t = text.trim();
  if (t === "cpu" || t === "memory") return { kind: t };
  if (t.startsWith("check:")) {
    const path = t.slice("check:".length);
    if (path.length === 0 || path.length > 256 || !PATH.test(path)) return "check:<path> needs a path such as check:queue.depth or check:details.workers[0].load";
    return { kind: "check", path };
  }
  if (t.startsWith("nats:")) {
    const [stream, consumer, ...rest] = t.slice("nats:".length).split("/");
    if (!stream || !consumer || rest.length > 0 || !NAME.test(stream) || !NAME.test(consumer)) return "nats:<stream>/<consumer> needs a stream and a durable consumer name ([A-Za-z0-9_-])";
    return { kind: "nats", stream, consumer };
  }
  return "expected cpu, memory, check:<path> or nats:<stream>/<consumer>";
}

/** `target` text for a metric → value and unit, or the reason it is not one. */
export function parseTarget(metric: MetricSpec, text: string): { target: number; unit: TargetUnit } | string {
  const t = text.trim();
  const num = (s: string) => (/^\d{1,12}(\.\d{1,9})?$/.test(s) ? Number(s) : undefined);
  if (metric.kind === "cpu" || metric.kind === "memory") {
    const pct = t.endsWith("%") ? num(t.slice(0, -1)) : undefined;
    const ratio = pct !== undefined ? pct / 100 : num(t);
    if (ratio !== undefined && ratio <= 10) {
      return ratio > 0 ? { target: ratio, unit: "ratio" } : "must be above 0";
    }
    if (metric.kind === "memory") {
      const bytes = /[a-zA-Z]$/.test(t) ? parseBytes(t) : undefined;
      if (bytes !== undefined && bytes > 0) return { target: bytes, unit: "bytes" };
      return "expected a share of the memory limit (70% or 0.7) or a size per task (256MiB)";
    }
    return "expected a share of the CPU limit, reservation or one core: 70% or 0.7 (at most 1000%)";
  }
  const v = num(t);
  if (v === undefined || v <= 0) return metric.kind === "nats" ? "expected pending messages per replica, a number above 0" : "expected the value per task, a number above 0";
  return { target: v, unit: metric.kind === "nats" ? "messages" : "value" };
}

function parseCount(text: string): number | undefined {
  const t = text.trim();
  return /^\d{1,4}$/.test(t) ? Number(t) : undefined;
}

function parseWindow(text: string, maxMs: number): number | undefined {
  const ms = parseDuration(text.trim());
  return ms !== undefined && ms <= maxMs ? ms : undefined;
}

/**
 * Builds a policy from its fields. `fields` maps each key to its text and where it was
 * written; unknown keys are reported by the caller (labels) or the schema (config).
 */
export function buildPolicy(
  service: string,
  fields: Partial<Record<PolicyKey, RawField>>,
  source: Policy["source"],
  whereOf: (key: PolicyKey) => string = (key) => LABEL_PREFIX + key,
): PolicyResult {
  const problems: PolicyProblem[] = [];
  const bad = (f: RawField, message: string) => problems.push({ where: f.where, value: f.value, message });

  const metricField = fields.metric;
  let metric: MetricSpec = { kind: "cpu" };
  if (metricField) {
    const m = parseMetric(metricField.value);
    if (typeof m === "string") bad(metricField, m);
    else metric = m;
  }
  const min = fields.min ? parseCount(fields.min.value) : 1;
  if (fields.min && min === undefined) bad(fields.min, "expected a whole number of replicas");
  const max = fields.max ? parseCount(fields.max.value) : undefined;
  if (!fields.max) problems.push({ where: whereOf("max"), value: "", message: "is required (the most replicas Vigie may run)" });
  else if (max === undefined) bad(fields.max, "expected a whole number of replicas");
  else if (max < 1 || max > MAX_REPLICAS) bad(fields.max, `must be between 1 and ${MAX_REPLICAS}`);
  if (fields.min && min !== undefined) {
    if (min === 0 && metric.kind !== "nats") bad(fields.min, "0 only goes with a queue metric (nats:…): with no task left, nothing would measure the load");
    else if (max !== undefined && min > max) bad(fields.min, `is above ${fields.max?.where ?? "max"} (${max})`);
  }

  let target: { target: number; unit: TargetUnit } | undefined;
  if (fields.target) {
    const t = parseTarget(metric, fields.target.value);
    if (typeof t === "string") bad(fields.target, t);
    else target = t;
  } else if (metric.kind === "cpu") target = { target: 0.7, unit: "ratio" };
  else if (metric.kind === "memory") target = { target: 0.8, unit: "ratio" };
  else problems.push({ where: whereOf("target"), value: "", message: `is required with metric ${metricField?.value.trim() ?? ""}` });

  const window = (key: "cooldown.up" | "cooldown.down" | "stabilization", fallback: number | undefined) => {
    const f = fields[key];
    if (!f) return fallback;
    const ms = parseWindow(f.value, 24 * 3_600_000);
    if (ms === undefined) bad(f, "expected a duration such as 30s, 5m or 1h (at most 24h)");
    return ms ?? fallback;
  };
  const cooldownUpMs = window("cooldown.up", DEFAULT_COOLDOWN_UP_MS) ?? DEFAULT_COOLDOWN_UP_MS;
  const cooldownDownMs = window("cooldown.down", DEFAULT_COOLDOWN_DOWN_MS) ?? DEFAULT_COOLDOWN_DOWN_MS;
  const stabilizationMs = window("stabilization", undefined);

  if (problems.length > 0 || max === undefined || min === undefined || !target) {
    return { ok: false, problems, message: describeProblems(service, problems) };
  }
  return {
    ok: true,
    policy: { service, source, min, max, metric, target: target.target, targetUnit: target.unit, cooldownUpMs, cooldownDownMs, stabilizationMs },
  };
}

/** One sentence naming every label or path at fault and its value. */
export function describeProblems(service: string, problems: readonly PolicyProblem[]): string {
  const parts = problems.map((p) => (p.value === "" ? `${p.where} ${p.message}` : `${p.where}=${JSON.stringify(p.value)}: ${p.message}`));
  return `service ${service}: autoscaling policy invalid, service left alone: ${parts.join("; ")}`;
}

/** Whether a service opted in (`vigie.autoscale.enabled=true`, exactly). */
export function optedIn(labels: Record<string, string>): boolean {
  return labels[ENABLED_LABEL] === "true";
}

/**
 * The policy of a service: its labels, over the configuration file's entry for it (labels win
 * key by key). Undefined when the service has not opted in. `enabled` other than `true` or
 * `false` is a problem too (a typo must not silently disable autoscaling).
 */
export function policyFor(
  service: string,
  labels: Record<string, string>,
  configured?: { fields: Partial<Record<PolicyKey, RawField>> },
): PolicyResult | undefined {
  const own: Partial<Record<PolicyKey, RawField>> = {};
  const unknown: PolicyProblem[] = [];
  for (const [k, v] of Object.entries(labels)) {
    if (!k.startsWith(LABEL_PREFIX)) continue;
    const key = k.slice(LABEL_PREFIX.length);
    if ((POLICY_KEYS as readonly string[]).includes(key)) own[key as PolicyKey] = { value: v.slice(0, 512), where: k };
    else unknown.push({ where: k, value: v.slice(0, 512), message: `unknown label (known: ${POLICY_KEYS.map((x) => LABEL_PREFIX + x).join(", ")})` });
  }
  const enabled = own.enabled?.value.trim();
  if (enabled !== "true") {
    if (enabled === undefined || enabled === "false") return undefined;
    const problems = [{ where: ENABLED_LABEL, value: own.enabled?.value ?? "", message: "expected true or false" }, ...unknown];
    return { ok: false, problems, message: describeProblems(service, problems) };
  }
  const hasOwn = Object.keys(own).some((k) => k !== "enabled");
  const merged = { ...(configured?.fields ?? {}), ...own };
  const source: Policy["source"] = configured ? (hasOwn ? "labels+config" : "config") : "labels";
  const result = buildPolicy(service, merged, source);
  if (unknown.length === 0) return result;
  const problems = [...unknown, ...(result.ok ? [] : result.problems)];
  return { ok: false, problems, message: describeProblems(service, problems) };
}
