import { z } from "zod";
import { parseDuration } from "../../lib/index.js";
import { buildPolicy, type PolicyKey, type RawField } from "./policy.js";

const scalar = () => z.union([z.string().max(512), z.number()]).transform((v) => String(v));

const duration = (minMs: number, maxMs: number, example: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < minMs || ms > maxMs) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected a duration between ${minMs} ms and ${maxMs / 1000} s, such as ${example}` });
      return z.NEVER;
    }
    return ms;
  });

/** Config keys of a policy entry ↔ the label suffixes they stand for. */
const KEY_OF: Record<string, PolicyKey> = {
  min: "min",
  max: "max",
  metric: "metric",
  target: "target",
  cooldownUp: "cooldown.up",
  cooldownDown: "cooldown.down",
  stabilization: "stabilization",
};

const CONFIG_KEY = Object.fromEntries(Object.entries(KEY_OF).map(([k, v]) => [v, k])) as Record<PolicyKey, string>;

/**
 * One policy in the configuration file. The service must still carry
 * `vigie.autoscale.enabled=true` (Vigie never touches a service that has not opted in); its
 * own `vigie.autoscale.*` labels win over these keys one by one.
 */
export const AutoscalePolicySchema = z
  .object({
    /** Full service name (`shop_worker`). */
    service: z.string().min(1).max(255),
    min: scalar().optional(),
    max: scalar().optional(),
    metric: z.string().max(512).optional(),
    target: scalar().optional(),
    cooldownUp: scalar().optional(),
    cooldownDown: scalar().optional(),
    stabilization: scalar().optional(),
  })
  .strict()
  .superRefine((entry, ctx) => {
    // The same parser as the labels: a policy the file accepts is one the labels would accept.
    const result = buildPolicy(entry.service, fieldsOf(entry, "", true), "config", (key) => CONFIG_KEY[key]);
    if (result.ok) return;
    for (const p of result.problems) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [p.where], message: p.message });
  });

export type AutoscalePolicyConfig = z.infer<typeof AutoscalePolicySchema>;

/**
 * The configuration file's `autoscale` section (the CLI adds it to the config schema under
 * `autoscale`; `VIGIE_AUTOSCALE_POLICIES` takes a JSON array).
 */
export const AutoscaleSectionSchema = z
  .object({
    /** Run the autoscaler in this collector (it acts only while it holds the lease). Default true. */
    enabled: z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]).default(true),
    /** Decide and record, but never change a service. Default false. */
    dryRun: z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]).default(false),
    /** How often services are evaluated. Default 15s (Kubernetes' sync period). */
    interval: duration(1_000, 3_600_000, "15s").default("15s"),
    /** No action while |observed / target − 1| is within this. Default 0.1. */
    tolerance: z.coerce.number().min(0).max(0.9).default(0.1),
    /** Scale-down stabilization window (a policy's own overrides it). Default 5m. */
    stabilizationWindow: duration(0, 86_400_000, "5m").default("5m"),
    /** How long the lease lasts without renewal: another collector takes over after it. Default 30s. */
    leaseTtl: duration(3_000, 600_000, "30s").default("30s"),
    /** The JetStream KV bucket holding the lease. */
    leaseBucket: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default("vigie_autoscale"),
    /**
     * The JetStream KV bucket holding each service's last scales and stabilization window, so the
     * collector that takes the lease next (after a failover or a restart) honours them.
     */
    memoryBucket: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).default("vigie_autoscale_memory"),
    /**
     * Which scale events go to the alert receivers, through the alert routing (as alerts named
     * `VigieAutoscale`): `off`; `scaled` (default), the scalings done; `actions`, also failed
     * attempts and dry-run decisions. Holds (cooldown, tolerance, …) never do: the trail has them.
     */
    notify: z.enum(["off", "scaled", "actions"]).default("scaled"),
    /** Decisions kept in memory (the full trail is in SQLite). Default 1000. */
    eventsInMemory: z.coerce.number().int().min(10).max(100_000).default(1000),
    /** Decisions kept on disk. Default 100,000. */
    eventsOnDisk: z.coerce.number().int().min(100).max(10_000_000).default(100_000),
    policies: z
      .preprocess((v) => {
        if (typeof v !== "string") return v;
        try {
          return JSON.parse(v) as unknown;
        } catch {
          return v;
        }
      }, z.array(AutoscalePolicySchema).max(10_000))
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((p, i) => {
          if (seen.has(p.service)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, "service"], message: `duplicate policy for service ${JSON.stringify(p.service)}` });
          seen.add(p.service);
        });
      })
      .default([]),
  })
  .strict();

export type AutoscaleSection = z.infer<typeof AutoscaleSectionSchema>;

/**
 * A configured policy's fields, each naming where it was written. With `bare` (inside the
 * schema, which adds its own path) the name is the key itself.
 */
export function fieldsOf(entry: AutoscalePolicyConfig, path: string, bare = false): Partial<Record<PolicyKey, RawField>> {
  const out: Partial<Record<PolicyKey, RawField>> = {};
  for (const [k, key] of Object.entries(KEY_OF)) {
    const v = (entry as Record<string, string | undefined>)[k];
    if (v !== undefined) out[key] = { value: v, where: bare ? k : `${path}.${k}` };
  }
  return out;
}

/** The configured policies by service name, ready for `policyFor`. */
export function configuredPolicies(section: Pick<AutoscaleSection, "policies">): Map<string, { fields: Partial<Record<PolicyKey, RawField>> }> {
  return new Map(section.policies.map((p, i) => [p.service, { fields: fieldsOf(p, `autoscale.policies[${i}]`) }]));
}
