import { z } from "zod";

/**
 * The result of one status check run, as agents publish it in `status` messages. One record
 * per run; the agent also says which checks it runs (`StatusPayload.active`) so the collector
 * forgets the ones that stopped.
 */

/** Normalized health: the body's verdict (health+json, Spring Boot Actuator) or the probe's. */
export const CHECK_STATUSES = ["pass", "warn", "fail", "unknown"] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

/**
 * The state the agent reports after failure/success thresholds: `unknown` until the first
 * verdict, `up`/`down` with hysteresis, `error` when the check itself cannot be run (a label or
 * setting that does not parse, a target that cannot be reached by design).
 */
export const CHECK_STATES = ["unknown", "up", "down", "error"] as const;
export type CheckState = (typeof CHECK_STATES)[number];

/** Why a run failed; a bounded set (safe as a metric label), the message carries the detail. */
export const CHECK_ERROR_TYPES = ["timeout", "dns", "connect", "tls", "http_status", "body_parse", "body_status", "condition", "config"] as const;
export type CheckErrorType = (typeof CHECK_ERROR_TYPES)[number];

const seconds = z.number().finite().nonnegative();

/** Most numbers one result carries from its body (`CheckResult.values`). */
export const MAX_CHECK_VALUES = 64;
/**
 * A number's place in a JSON body: keys of `[A-Za-z0-9_$-]` joined by dots, array indexes in
 * brackets (`queue.depth`, `workers[0].load`): the paths `vigie.autoscale.metric=check:<path>` names.
 */
export const CHECK_VALUE_PATH = /^[A-Za-z0-9_$-]{1,64}(\.[A-Za-z0-9_$-]{1,64}|\[\d{1,6}\])*$/;
export const MAX_CHECK_VALUE_PATH = 256;

export const CheckComponent = z.object({
  /** `db`, `diskSpace`, `db/primary` (nested Spring components), `cassandra:responseTime` (health+json key). */
  name: z.string().min(1).max(256),
  status: z.enum(CHECK_STATUSES),
  /** The status as the body spelled it (`UP`, `OUT_OF_SERVICE`, `ok`). */
  rawStatus: z.string().max(64).optional(),
  componentType: z.string().max(256).optional(),
  observedValue: z.union([z.string().max(1024), z.number(), z.boolean()]).optional(),
  observedUnit: z.string().max(64).optional(),
  output: z.string().max(1024).optional(),
});
export type CheckComponent = z.infer<typeof CheckComponent>;

export const CheckResult = z.object({
  check: z.object({
    /** Unique on its node: `container/<container name>` for label checks, `config/<name>` for configured ones. */
    id: z.string().min(1).max(300),
    /** Bounded, human name: the `check` label of the exposition. */
    name: z.string().min(1).max(200),
    type: z.enum(["http", "tcp"]),
    intervalSeconds: seconds,
  }),
  target: z.object({
    /** `https://127.0.0.1:8443/health`, `tcp://127.0.0.1:5432`; absent when the target could not be built. */
    url: z.string().max(2048).optional(),
    method: z.string().max(16).optional(),
  }),
  /** The container/service/node the check judges: `container.id`, `container.name`, `service.name`, `service.namespace`. */
  resource: z.record(z.string().min(1).max(256), z.union([z.string().max(1024), z.number()])),
  /** When the run started, Unix ms. */
  time: z.number().int().nonnegative(),
  /** The run succeeded (blackbox's `probe_success`): reached, expected status, body not failing, conditions true. */
  up: z.boolean(),
  status: z.enum(CHECK_STATUSES),
  /** After thresholds (see CHECK_STATES), and since when (Unix ms). */
  state: z.enum(CHECK_STATES),
  stateSince: z.number().int().nonnegative(),
  httpStatusCode: z.number().int().min(0).max(999).optional(),
  durationSeconds: seconds,
  /** Seconds spent in each phase, where measurable (no `dns` for an IP literal, no `tls` over plain HTTP). */
  phases: z.object({ dns: seconds.optional(), connect: seconds.optional(), tls: seconds.optional(), firstByte: seconds.optional() }).optional(),
  tls: z
    .object({
      /** ISO 8601. */
      notAfter: z.string().max(64),
      issuer: z.string().max(1024),
      subject: z.string().max(1024),
      /** Whether the chain and host name verified (false also when the check is `insecure`). */
      authorized: z.boolean(),
    })
    .optional(),
  error: z.object({ type: z.enum(CHECK_ERROR_TYPES), message: z.string().max(2048) }).optional(),
  /** The first condition that did not hold, with the value seen: `[STATUS] (503) == 200`. */
  failedCondition: z.string().max(1024).optional(),
  conditions: z.array(z.object({ condition: z.string().max(1024), success: z.boolean() })).max(64).optional(),
  health: z
    .object({
      format: z.enum(["health+json", "spring-actuator"]),
      rawStatus: z.string().max(64).optional(),
      components: z.array(CheckComponent).max(500),
    })
    .optional(),
  /**
   * The numbers of a JSON body by path (`{"queue":{"depth":42}}` gives `queue.depth: 42`), at
   * most MAX_CHECK_VALUES of them, shallowest first: what the autoscaler's `check:<path>` metric
   * reads. Absent when the body was not JSON or held no number (and from agents before it).
   */
  values: z
    .record(z.string().max(MAX_CHECK_VALUE_PATH).regex(CHECK_VALUE_PATH), z.number().finite())
    .refine((v) => Object.keys(v).length <= MAX_CHECK_VALUES, { message: `at most ${MAX_CHECK_VALUES} values` })
    .optional(),
});
export type CheckResult = z.infer<typeof CheckResult>;
