import { z } from "zod";
import { parseBytes, parseDuration } from "../../lib/index.js";
import { DEFAULT_MULTILINE_LIMITS, DEFAULT_MULTILINE_RULES, type MultilineRule } from "./multiline.js";
import { DEFAULT_FIELD_LIMITS } from "./parse/index.js";
import { configuredPattern, PatternError } from "./pattern.js";
import type { PipelineOptions } from "./pipeline.js";
import { Redactor } from "./redact.js";

const duration = (min: number, max: number, fallback: string) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined || ms < min || ms > max) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${JSON.stringify(v)} is not a duration between ${min} ms and ${max} ms (such as 500ms, 10s)` });
        return z.NEVER;
      }
      return ms;
    });

const size = (min: number, max: number, fallback: string) =>
  z
    .union([z.string(), z.number()])
    .default(fallback)
    .transform((v, ctx) => {
      const n = parseBytes(v);
      if (n === undefined || n < min || n > max) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: `${JSON.stringify(v)} is not a size between ${min} and ${max} bytes (such as 16KiB)` });
        return z.NEVER;
      }
      return n;
    });

/** A yes/no: a YAML boolean, or `true`/`false` as an environment variable gives it. */
const flag = () => z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]);

/** A regular expression in RE2 syntax, compiled at load so a bad one stops start-up with its place. */
const pattern = () =>
  z
    .string()
    .min(1)
    .max(1024)
    .superRefine((s, ctx) => {
      try {
        configuredPattern(s, ctx.path.join("."));
      } catch (err) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: err instanceof PatternError ? `${JSON.stringify(s)} is not a valid RE2 regular expression` : String(err) });
      }
    });

const RuleSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/),
    /** The line that opens a group; without it, `continues` lines join whatever line came before. */
    start: pattern().optional(),
    continues: pattern(),
    /** A line that is taken and closes the group (Python's exception line). */
    last: pattern().optional(),
    attach: flag().default(false),
  })
  .strict();

/**
 * The `agent.logs` section: how container logs are collected, normalized, bounded and redacted.
 * Every key has a default; unknown keys are rejected.
 */
export const LogsConfigSchema = z
  .object({
    /** Ship container logs. Default true; a container or its service opts out with the label `vigie.logs=false`. */
    enabled: flag().default(true),
    /** Lines longer than this are cut and flagged `vigie.log.truncated`. Default 16KiB. */
    maxLineBytes: size(256, 1024 * 1024, "16KiB"),
    multiline: z
      .object({
        /** Join stack traces into one record. Default true. */
        enabled: flag().default(true),
        /** Use the built-in rules (Java, Node, Python, Go panics). Default true. */
        defaultRules: flag().default(true),
        /** More rules, tried after the built-in ones. */
        rules: z.array(RuleSchema).max(32).default([]),
        /** Lines per record. Default 500. */
        maxLines: z.coerce.number().int().min(2).max(10_000).default(DEFAULT_MULTILINE_LIMITS.maxLines),
        /** Size of a joined record. Default 64KiB. */
        maxBytes: size(1024, 4 * 1024 * 1024, "64KiB"),
        /** A trace that got no line for this long is sent as it is. Default 1s. */
        flushAfter: duration(10, 60_000, "1s"),
      })
      .strict()
      .default({}),
    redact: z
      .object({
        /** Redact bearer tokens, passwords in URLs, `password=`-style fields and common API-key shapes. Default true. */
        defaults: flag().default(true),
        patterns: z
          .array(z.object({ name: z.string().min(1).max(64), pattern: pattern(), replacement: z.string().max(256).optional() }).strict())
          .max(64)
          .default([]),
      })
      .strict()
      .default({}),
    rateLimit: z
      .object({
        /** Records per second per container. Default 1000. */
        linesPerSecond: z.coerce.number().positive().max(1_000_000).default(1000),
        /** Records a quiet container may send at once. Default 5000. */
        burst: z.coerce.number().int().min(1).max(10_000_000).default(5000),
      })
      .strict()
      .default({}),
    /** How often log files are checked for new lines. Default 250ms. */
    pollInterval: duration(10, 10_000, "250ms"),
    /** How often the container list is read again (`refresh()` also does it at once). Default 10s. */
    listInterval: duration(500, 600_000, "10s"),
    /**
     * Most bytes read from one container per round: a busy one cannot delay the others by more,
     * and one sink call carries the records of at most this much (plus a held stack trace). Default 64KiB.
     */
    readChunkBytes: size(4 * 1024, 16 * 1024 * 1024, "64KiB"),
    /** How often dropped-line counts are reported in each container's logs. Default 10s. */
    dropReportInterval: duration(1000, 3_600_000, "10s"),
    /** The application's own time is used when within this of the engine's. Default 24h. */
    maxTimeSkew: duration(0, 30 * 86_400_000, "24h"),
    /** Read files (`json-file` driver) rather than the API stream when the file is reachable under the host root. Default true. */
    readFiles: flag().default(true),
  })
  .strict();

export type LogsConfigInput = z.input<typeof LogsConfigSchema>;
export type LogsConfig = z.output<typeof LogsConfigSchema>;

/** The pipeline's options from a validated configuration (patterns compiled here, once). */
export function pipelineOptions(config: LogsConfig): PipelineOptions {
  const ml = config.multiline;
  const rules: MultilineRule[] = [
    ...(ml.defaultRules ? DEFAULT_MULTILINE_RULES : []),
    ...ml.rules.map((r, i) => {
      const at = `agent.logs.multiline.rules[${i}]`;
      const rule: MultilineRule = { name: r.name, continues: configuredPattern(r.continues, `${at}.continues`), attach: r.attach };
      if (r.start) rule.start = configuredPattern(r.start, `${at}.start`);
      if (r.last) rule.last = configuredPattern(r.last, `${at}.last`);
      return rule;
    }),
  ];
  return {
    maxLineBytes: config.maxLineBytes,
    multiline: ml.enabled && rules.length > 0 ? { rules, limits: { maxLines: ml.maxLines, maxBytes: ml.maxBytes, flushAfterMs: ml.flushAfter } } : false,
    redactor: new Redactor(config.redact),
    rate: config.rateLimit,
    fields: DEFAULT_FIELD_LIMITS,
    maxTimeSkewS: config.maxTimeSkew / 1000,
  };
}

/** The defaults, for tests and benches: `LogsConfigSchema.parse({})`. */
export function defaultLogsConfig(): LogsConfig {
  return LogsConfigSchema.parse({});
}
