import { z } from "zod";
import { durationSchema } from "../../lib/index.js";
import { compileConditions, type CompiledCondition } from "./conditions.js";
import { DEFAULT_THRESHOLDS } from "./thresholds.js";

/** Defaults of a check, the same for the config file and for labels. */
export const CHECK_DEFAULTS = { intervalMs: 30_000, timeoutMs: 10_000, method: "GET" } as const;

const duration = (min: number, fallback: string) => z.union([z.string(), z.number()]).default(fallback).pipe(durationSchema({ min }));

/**
 * One check of the `checks:` section of the configuration (endpoints outside containers), also
 * the shape label checks are validated with. Conditions are compiled here, at load: a malformed
 * one fails validation with its index and column.
 */
export const CheckConfigSchema = z
  .object({
    /** Shown in the API and as the `check` label; letters, digits, `_ . : -`. */
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, "1-128 of [A-Za-z0-9_.:-], starting with a letter or digit"),
    /** `http://…`, `https://…` or `tcp://host:port`. */
    url: z.string().superRefine((u, ctx) => {
      const problem = urlProblem(u);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
    }),
    /** HTTP method. Default GET. */
    method: z
      .string()
      .regex(/^[A-Za-z]{1,16}$/, "an HTTP method such as GET or HEAD")
      .transform((m) => m.toUpperCase())
      .default(CHECK_DEFAULTS.method),
    headers: z.record(z.string().min(1).max(256), z.string().max(8192)).default({}),
    /** Time between runs. Default 30s. */
    interval: duration(200, "30s"),
    /** Longest wait for a complete answer. Default 10s; never more than the interval. */
    timeout: duration(50, "10s"),
    /** Gatus-style conditions, all of which must hold. */
    conditions: z.array(z.string().max(2048)).max(64).default([]),
    /** Accept a certificate that does not verify (self-signed). Default false. */
    insecure: z.boolean().default(false),
    /** Failed runs in a row before the check is reported down. Default 3. */
    failureThreshold: z.number().int().min(1).max(1000).default(DEFAULT_THRESHOLDS.failureThreshold),
    /** Good runs in a row before it is reported up again. Default 2. */
    successThreshold: z.number().int().min(1).max(1000).default(DEFAULT_THRESHOLDS.successThreshold),
    /** Service the endpoint belongs to (the `service` label). */
    service: z.string().min(1).max(256).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    const { errors } = compileConditions(c.conditions);
    for (const { index, error } of errors) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["conditions", index], message: error.message });
  });

export type CheckConfigInput = z.input<typeof CheckConfigSchema>;
export type CheckConfig = z.output<typeof CheckConfigSchema>;

/** The `checks:` section: a list (YAML), or a JSON array (a `VIGIE_CHECKS` variable). */
export const ChecksSectionSchema = z.preprocess((v) => {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}, z.array(CheckConfigSchema).max(10_000))
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, "name"], message: `duplicate check name ${JSON.stringify(c.name)}` });
      seen.add(c.name);
    });
  });

/** A check ready to run: target resolved, conditions compiled. */
export interface CheckDefinition {
  /** Unique on the node: `config/<name>` or `container/<container name>`. */
  id: string;
  name: string;
  type: "http" | "tcp";
  /** Absent only for a check in error whose labels name no target. */
  url?: URL;
  method: string;
  headers: Record<string, string>;
  intervalMs: number;
  timeoutMs: number;
  insecure: boolean;
  conditions: CompiledCondition[];
  failureThreshold: number;
  successThreshold: number;
  /** `container.id`, `container.name`, `service.name`, `service.namespace`. */
  resource: Record<string, string>;
  /** Set when the check cannot run: every run reports this in the `error` state. */
  configError?: string;
  /** Changes when anything that defines the check changes (rediscovery restarts it then). */
  fingerprint: string;
}

export function urlProblem(u: string): string | undefined {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return `${JSON.stringify(u)} is not a URL`;
  }
  if (!["http:", "https:", "tcp:"].includes(url.protocol)) return `scheme ${url.protocol.replace(/:$/, "")} not supported (http, https or tcp)`;
  if (!url.hostname) return "the URL has no host";
  if (url.protocol === "tcp:" && !url.port) return "a tcp:// URL needs a port";
  return undefined;
}

/** Builds the runnable definition of a validated check. */
export function toDefinition(c: CheckConfig, id: string, resource: Record<string, string>): CheckDefinition {
  const url = new URL(c.url);
  const { conditions } = compileConditions(c.conditions);
  const def: Omit<CheckDefinition, "fingerprint"> = {
    id,
    name: c.name,
    type: url.protocol === "tcp:" ? "tcp" : "http",
    url,
    method: c.method,
    headers: c.headers,
    intervalMs: c.interval,
    timeoutMs: Math.min(c.timeout, c.interval),
    insecure: c.insecure,
    conditions,
    failureThreshold: c.failureThreshold,
    successThreshold: c.successThreshold,
    resource: c.service && !resource["service.name"] ? { ...resource, "service.name": c.service } : resource,
  };
  return { ...def, fingerprint: JSON.stringify({ ...c, resource }) };
}

/**
 * A check that cannot run, reported in the `error` state with its reason at every interval, and
 * with its target when the labels name one (it is shown, never probed).
 */
export function errorDefinition(id: string, name: string, reason: string, resource: Record<string, string>, intervalMs = 60_000, url?: URL): CheckDefinition {
  return {
    id,
    name,
    type: url?.protocol === "tcp:" ? "tcp" : "http",
    url,
    method: CHECK_DEFAULTS.method,
    headers: {},
    intervalMs,
    timeoutMs: Math.min(CHECK_DEFAULTS.timeoutMs, intervalMs),
    insecure: false,
    conditions: [],
    ...DEFAULT_THRESHOLDS,
    resource,
    configError: reason,
    fingerprint: JSON.stringify({ id, reason, resource, url: url?.href }),
  };
}

/** Parses the `checks` option (already validated by the config loader, or given directly). */
export function configuredChecks(input: readonly CheckConfigInput[]): CheckDefinition[] {
  const parsed = ChecksSectionSchema.safeParse(input);
  if (!parsed.success) {
    throw new Error(`invalid checks: ${parsed.error.issues.map((i) => `checks.${i.path.join(".")}: ${i.message}`).join("; ")}`);
  }
  return parsed.data.map((c) => toDefinition(c, `config/${c.name}`, {}));
}
