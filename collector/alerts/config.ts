import { readFileSync } from "node:fs";
import { z } from "zod";
import { parseDuration } from "../../lib/duration.js";
import { parseLabelMatchers } from "./matchers.js";
import type { InhibitRule } from "../notify/mute.js";
import { ROUTE_DEFAULTS, type Route } from "../notify/route.js";
import type { Receiver } from "../notify/receiver.js";
import { WebhookReceiver } from "../notify/webhook.js";
import { SlackReceiver } from "../notify/slack.js";
import { EmailReceiver } from "../notify/email.js";
import { AlertmanagerReceiver } from "../notify/alertmanager.js";

const duration = (min = 0) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < min) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected a duration such as 30s, 5m or 4h (at least ${min} ms)` });
      return z.NEVER;
    }
    return ms;
  });
const list = () => z.union([z.array(z.string()), z.string().transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean))]);
const matchers = () =>
  list().superRefine((l, ctx) => {
    const m = parseLabelMatchers(l);
    if (typeof m === "string") ctx.addIssue({ code: z.ZodIssueCode.custom, message: m });
  });
const httpUrl = () => z.string().url().regex(/^https?:\/\//, "expected an http(s) URL");
const name = () => z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "1-64 of [A-Za-z0-9_.-]");

/** A secret given inline or, better, as a file (a Swarm secret under /run/secrets). Exactly one. */
const secretPair = <K extends string>(key: K) => ({ [key]: z.string().min(1).optional(), [`${key}File`]: z.string().min(1).optional() }) as Record<K | `${K}File`, z.ZodOptional<z.ZodString>>;

const WebhookSchema = z.object({ url: httpUrl().optional(), urlFile: z.string().min(1).optional(), sendResolved: z.boolean().default(true), maxAlerts: z.number().int().min(0).max(10_000).default(0) }).strict();
const SlackSchema = z.object({ ...secretPair("url"), channel: z.string().max(80).optional(), sendResolved: z.boolean().default(false) }).strict();
const EmailSchema = z
  .object({
    to: list().pipe(z.array(z.string().email()).min(1)),
    from: z.string().email(),
    smarthost: z.string().regex(/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/, "expected host:port"),
    tls: z.enum(["starttls", "tls", "none"]).default("starttls"),
    insecureSkipVerify: z.boolean().default(false),
    username: z.string().optional(),
    ...secretPair("password"),
    sendResolved: z.boolean().default(false),
  })
  .strict();
const AlertmanagerSchema = z.object({ url: httpUrl() }).strict();

const ReceiverSchema = z
  .object({ name: name(), webhook: WebhookSchema.optional(), slack: SlackSchema.optional(), email: EmailSchema.optional(), alertmanager: AlertmanagerSchema.optional() })
  .strict()
  .superRefine((r, ctx) => {
    if ([r.webhook, r.slack, r.email, r.alertmanager].filter(Boolean).length !== 1) ctx.addIssue({ code: z.ZodIssueCode.custom, message: "a receiver has exactly one of webhook, slack, email, alertmanager" });
    if (r.webhook && (r.webhook.url === undefined) === (r.webhook.urlFile === undefined)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["webhook", "url"], message: "give url or urlFile, not both or neither" });
    if (r.slack && (r.slack.url === undefined) === (r.slack.urlFile === undefined)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["slack", "url"], message: "give url or urlFile, not both or neither" });
    if (r.email?.password !== undefined && r.email.passwordFile !== undefined) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ["email", "password"], message: "give password or passwordFile, not both" });
  });

interface RouteInput {
  receiver?: string;
  matchers?: string[] | string;
  groupBy?: string[] | string;
  groupWait?: string | number;
  groupInterval?: string | number;
  repeatInterval?: string | number;
  continue?: boolean;
  routes?: RouteInput[];
}
const RouteSchema: z.ZodType<RouteInput> = z.lazy(() =>
  z
    .object({
      receiver: name().optional(),
      matchers: matchers().optional(),
      groupBy: list().optional(),
      groupWait: z.union([z.string(), z.number()]).optional(),
      groupInterval: z.union([z.string(), z.number()]).optional(),
      repeatInterval: z.union([z.string(), z.number()]).optional(),
      continue: z.boolean().optional(),
      routes: z.array(RouteSchema).max(100).optional(),
    })
    .strict(),
);

/**
 * The `alerts:` section of Vigie's configuration: where extra rules are, how often they are
 * evaluated, and where notifications go (Alertmanager's route tree, receivers and inhibition
 * rules, in camelCase). `webhook` (VIGIE_ALERTS_WEBHOOK) alone is the simple setup: one webhook
 * receiving every alert.
 */
export const AlertsSectionSchema = z
  .object({
    /** A directory (or file) of rules loaded besides the shipped ones (VIGIE_ALERTS_DIR). */
    dir: z.string().min(1).optional(),
    /** One webhook for every alert (VIGIE_ALERTS_WEBHOOK). */
    webhook: httpUrl().optional(),
    /** Load the shipped rules (`alerts/` of the package). Default true. */
    shipped: z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]).default(true),
    /** How often rules are evaluated. Default 15s. */
    evaluationInterval: duration(1000).default("15s"),
    /** How long after start-up the first evaluation waits, so checks, the Swarm view and events are back first. Default 30s. */
    warmup: duration(0).default("30s"),
    /** URL of the collector as people reach it, for links in notifications. */
    externalUrl: httpUrl().optional(),
    route: RouteSchema.optional(),
    receivers: z.array(ReceiverSchema).max(100).default([]),
    inhibitRules: z
      .array(z.object({ sourceMatchers: matchers(), targetMatchers: matchers(), equal: list().default([]) }).strict())
      .max(100)
      .default([]),
  })
  .strict();

export type AlertsSection = z.infer<typeof AlertsSectionSchema>;

/**
 * What one field alone cannot say: receivers named twice, routes to unknown receivers, bad route
 * durations, matchers on the root. (The section stays a plain object so that every key keeps its
 * `VIGIE_ALERTS_*` variable.) Each problem names its path and value.
 */
export function alertsSectionProblems(s: AlertsSection): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const [i, r] of s.receivers.entries()) {
    if (names.has(r.name)) problems.push(`alerts.receivers.${i}.name = ${JSON.stringify(r.name)}: defined twice`);
    names.add(r.name);
  }
  if (s.webhook) names.add(WEBHOOK_RECEIVER);
  const walk = (r: RouteInput, path: string) => {
    if (r.receiver !== undefined && !names.has(r.receiver)) problems.push(`${path}.receiver = ${JSON.stringify(r.receiver)}: no receiver named ${r.receiver}`);
    for (const k of ["groupWait", "groupInterval", "repeatInterval"] as const)
      if (r[k] !== undefined && parseDuration(r[k]) === undefined) problems.push(`${path}.${k} = ${JSON.stringify(r[k])}: expected a duration such as 30s, 5m or 4h`);
    for (const [i, c] of (r.routes ?? []).entries()) walk(c, `${path}.routes.${i}`);
  };
  if (s.route) {
    if (s.route.matchers !== undefined) problems.push("alerts.route.matchers: the root route takes every alert, it has no matchers");
    walk(s.route, "alerts.route");
  }
  return problems;
}



/** The receiver VIGIE_ALERTS_WEBHOOK makes. */
export const WEBHOOK_RECEIVER = "vigie-webhook";
/** A receiver that drops everything (alerts still show in the API): the root's when none is configured. */
export const NULL_RECEIVER = "null";

/** Reads a secret file (trailing newline dropped); the error names the file, never its content. */
export function readSecret(file: string): string {
  try {
    return readFileSync(file, "utf8").replace(/\r?\n$/, "");
  } catch (err) {
    throw new Error(`cannot read secret file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

/**
 * The route tree with Alertmanager's inheritance (a child takes what it does not set from its
 * parent). With `webhook` set, a first child matching everything with `continue` sends every
 * alert to it besides the configured routes.
 */
export function buildRoute(s: AlertsSection): Route {
  const rootReceiver = s.route?.receiver ?? (s.webhook && !s.route ? WEBHOOK_RECEIVER : NULL_RECEIVER);
  const compile = (r: RouteInput, parent: Omit<Route, "id" | "matchers" | "continue" | "routes"> | undefined, id: string): Route => {
    const base = parent ?? { receiver: rootReceiver, groupBy: ROUTE_DEFAULTS.groupBy, groupWaitMs: ROUTE_DEFAULTS.groupWaitMs, groupIntervalMs: ROUTE_DEFAULTS.groupIntervalMs, repeatIntervalMs: ROUTE_DEFAULTS.repeatIntervalMs };
    const m = parseLabelMatchers(typeof r.matchers === "string" ? [r.matchers] : (r.matchers ?? []));
    const groupBy = typeof r.groupBy === "string" ? r.groupBy.split(",").map((x) => x.trim()) : r.groupBy;
    const own = {
      receiver: r.receiver ?? base.receiver,
      groupBy: groupBy ?? base.groupBy,
      groupWaitMs: r.groupWait !== undefined ? (parseDuration(r.groupWait) as number) : base.groupWaitMs,
      groupIntervalMs: r.groupInterval !== undefined ? (parseDuration(r.groupInterval) as number) : base.groupIntervalMs,
      repeatIntervalMs: r.repeatInterval !== undefined ? (parseDuration(r.repeatInterval) as number) : base.repeatIntervalMs,
    };
    return { ...own, id, matchers: typeof m === "string" ? [] : m, continue: r.continue ?? false, routes: (r.routes ?? []).map((c, i) => compile(c, own, `${id}.${i}`)) };
  };
  const root = compile(s.route ?? {}, undefined, "0");
  if (!s.webhook || !s.route) return root;
  const everything = compile({ receiver: WEBHOOK_RECEIVER, continue: true }, root, "0.w");
  return { ...root, routes: [everything, ...root.routes] };
}

export function buildInhibitRules(s: AlertsSection): InhibitRule[] {
  return s.inhibitRules.map((r) => ({
    sourceMatchers: parseLabelMatchers(r.sourceMatchers) as Exclude<ReturnType<typeof parseLabelMatchers>, string>,
    targetMatchers: parseLabelMatchers(r.targetMatchers) as Exclude<ReturnType<typeof parseLabelMatchers>, string>,
    equal: r.equal,
  }));
}

/** The receivers, secrets read from their files now (a missing file stops start-up). */
export function buildReceivers(s: AlertsSection): Receiver[] {
  const out: Receiver[] = [];
  if (s.webhook) out.push(new WebhookReceiver({ name: WEBHOOK_RECEIVER, url: s.webhook }));
  for (const r of s.receivers) {
    if (r.webhook) out.push(new WebhookReceiver({ name: r.name, url: r.webhook.url ?? readSecret(r.webhook.urlFile as string), sendResolved: r.webhook.sendResolved, maxAlerts: r.webhook.maxAlerts }));
    else if (r.slack) out.push(new SlackReceiver({ name: r.name, url: r.slack.url ?? readSecret(r.slack.urlFile as string), channel: r.slack.channel, sendResolved: r.slack.sendResolved }));
    else if (r.email) {
      const e = r.email;
      const password = e.password ?? (e.passwordFile ? readSecret(e.passwordFile) : undefined);
      out.push(new EmailReceiver({ name: r.name, to: e.to, from: e.from, smarthost: e.smarthost, tls: e.tls, insecureSkipVerify: e.insecureSkipVerify, username: e.username, password, sendResolved: e.sendResolved }));
    } else if (r.alertmanager) out.push(new AlertmanagerReceiver({ name: r.name, url: r.alertmanager.url }));
  }
  return out;
}
