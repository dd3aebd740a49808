import { z } from "zod";
import { durationSchema, parseBytes } from "../../lib/index.js";
import { ChecksSectionSchema } from "../../agent/checks/config.js";
import { AlertsSectionSchema } from "../../collector/alerts/config.js";
import { LogsConfigSchema } from "../../agent/logs/config.js";
import { AutoscaleSectionSchema } from "../../collector/autoscale/config.js";

/** A duration (`10s`, `5m`, `1h30m`, or milliseconds) → milliseconds. */
export const duration = (min = 0) => durationSchema({ min });

/** A size (`512MiB`, `1GB`, bytes) → bytes. */
export const bytes = () =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const n = parseBytes(v);
    if (n === undefined) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "expected a size such as 64MiB, 1GB or a number of bytes" });
      return z.NEVER;
    }
    return n;
  });

export const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
export const bool = () =>
  z.union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"])]).transform((v) => v === true || v === "true" || v === "1" || v === "yes");
const listen = () => z.string().regex(/^(\[[^\]]+\]|[^:\s]*):\d{1,5}$/, "expected host:port, e.g. 127.0.0.1:9480");

/** A regular expression, checked at load; `""` means "exclude nothing". */
const regex = () =>
  z.string().refine(
    (s) => {
      try {
        new RegExp(s);
        return true;
      } catch {
        return false;
      }
    },
    { message: "expected a regular expression, e.g. ^(lo|veth.*)$" },
  );

/** Lists: a YAML array, or a comma-separated string (environment). */
export const list = () => z.union([z.array(z.string()), z.string().transform((s) => s.split(",").map((x) => x.trim()).filter(Boolean))]);

/**
 * Vigie's configuration: one schema for the YAML file and the `VIGIE_*` environment
 * (`nats.url` ↔ `VIGIE_NATS_URL`, `agent.hostRoot` ↔ `VIGIE_AGENT_HOST_ROOT`). Unknown keys are
 * errors. Defaults are the documented ones (README, Configuration).
 */
export const ConfigSchema = z
  .object({
    /** Sampling interval of the agent. Default 10s. */
    interval: duration(100).default("10s"),
    /** Overrides the node id (default: Swarm node id, else the machine id). */
    nodeId: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, "1-128 of [A-Za-z0-9_-]").optional(),
    /** Overrides the hostname reported for this node. */
    hostname: z.string().min(1).max(253).optional(),
    /** Where Vigie keeps its state (spool, SQLite, NATS store under `vigie up`). */
    dataDir: z.string().min(1).default("./.vigie"),
    log: z.object({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info") }).strict().default({}),
    nats: z
      .object({
        url: z.string().regex(/^(nats|tls):\/\/[^\s]+$/, "expected nats://host:port").default("nats://127.0.0.1:4222"),
        /** How long the streams keep messages. Default 24h. */
        streamMaxAge: duration(1000).default("24h"),
        /** Bytes per stream; -1 = unlimited. Default 1GiB. */
        streamMaxBytes: z.union([z.literal(-1), z.literal("-1").transform(() => -1 as const), bytes()]).default("1GiB"),
        streamReplicas: int(1, 5).default(1),
        /** User name for NATS (deploy/nats/nats.conf has `agent` and `collector`); unset = no credentials. */
        user: z.string().min(1).max(256).optional(),
        /** The user's password, in clear (printed redacted); prefer `passwordFile`. Needs `user`; not with `passwordFile`. */
        password: z.string().min(1).max(1024).optional(),
        /** A file holding the user's password (a Swarm secret under /run/secrets/); one trailing newline is ignored. */
        passwordFile: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    api: z
      .object({
        /** Collector HTTP address. */
        listen: listen().default("127.0.0.1:9480"),
        /** One admin token (VIGIE_API_TOKEN). */
        token: z.string().min(16, "tokens must be at least 16 characters").optional(),
        /** A file of tokens with scopes (VIGIE_API_TOKENS_FILE). */
        tokensFile: z.string().optional(),
        /** Require a read token on /metrics too (default: open, for Prometheus). */
        metricsAuth: bool().default(false),
        /** A request (headers and body) must arrive within this; else 408. */
        requestTimeout: duration(100).default("30s"),
        /** Request headers must arrive within this; else 408. */
        headersTimeout: duration(100).default("10s"),
        /** An open connection without traffic is closed after this. */
        idleTimeout: duration(100).default("60s"),
        /** Open connections at most; further ones are closed at once. */
        maxConnections: int(1, 1_000_000).default(1024),
      })
      .strict()
      .default({}),
    agent: z
      .object({
        /** Agent HTTP address for /metrics and /healthz. */
        listen: listen().default("127.0.0.1:9481"),
        /** Where the host's root filesystem is (`/host` when the agent runs in a container). */
        hostRoot: z.string().min(1).default("/"),
        /** What host sampling leaves out, as node_exporter's flags do; unset keys keep its defaults. */
        host: z
          .object({
            /** Filesystem types (default: pseudo filesystems, overlay, squashfs). */
            filesystemTypesExclude: regex().optional(),
            /** Mount points (default: /dev, /proc, /sys, Docker's and Podman's storage). */
            mountPointsExclude: regex().optional(),
            /** Block devices for disk I/O (default: partitions, loop, ram, zram). */
            diskDevicesExclude: regex().optional(),
            /** Network interfaces (default: `^(lo|veth.*)$`). */
            networkInterfacesExclude: regex().optional(),
          })
          .strict()
          .default({}),
        /** Bound of the on-disk spool; past it the oldest messages are dropped and counted. */
        spoolMaxBytes: bytes().default("256MiB"),
        /**
         * How long a message may wait for JetStream's acknowledgement before it is written to the
         * spool on disk. 0 writes every message before it is sent (an agent killed outright then
         * loses nothing, at the price of a file written and deleted per message).
         */
        spoolWriteAfter: duration().default("1s"),
        /** The Docker Engine's socket: containers, their events and the Swarm node identity come from it. */
        dockerSocket: z.string().min(1).default("/var/run/docker.sock"),
        /** Sample the containers of the local engine (turn off on a host without Docker). */
        containers: bool().default(true),
        /** Container logs: collection, multi-line joining, redaction, rate limit (`agent/logs/README.md`). */
        logs: LogsConfigSchema.default({}),
      })
      .strict()
      .default({}),
    collector: z
      .object({
        /** Durable consumer name; collectors sharing it split the load. */
        durable: z.string().regex(/^[A-Za-z0-9_-]+$/).default("vigie-collector"),
        /** Largest message accepted; larger ones go to the dead letters. */
        maxMessageBytes: bytes().default("1MiB"),
        /** How long metrics are kept at sample resolution, in memory. */
        historyWindow: duration(60_000).default("1h"),
        /** How long 1-minute rollups are kept on disk. */
        historyRetention: duration(3_600_000).default("7d"),
        /** Most series the history holds in memory; further ones are dropped and counted. */
        historyMaxSeries: int(1_000, 50_000_000).default(500_000),
        /** Silence after which a node is down (it is stale after 3 of its intervals). */
        nodeDownAfter: duration(1_000).default("2m"),
        /** The log store (`<dataDir>/collector/logs.db`): records older than `retention` go, and the oldest past `maxBytes`. */
        logs: z.object({ retention: duration(60_000).default("7d"), maxBytes: bytes().default("1GiB") }).strict().default({}),
        swarm: z
          .object({
            /**
             * The Swarm view (nodes, services, tasks) from the engine of `DOCKER_HOST`, else
             * /var/run/docker.sock: `auto` (on when DOCKER_HOST is set or the socket exists), true, false.
             */
            enabled: z.union([z.literal("auto"), bool()]).default("auto"),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    ingest: z
      .object({
        /** How far ahead of the collector's clock a message's timestamps may be; beyond, it is dead-lettered (`clock_skew`). */
        maxClockSkew: duration(1000).default("5m"),
        /** How old a message's sample time may be; older ones are dead-lettered (`clock_skew`). */
        maxMessageAge: duration(60_000).default("7d"),
      })
      .strict()
      .default({}),
    alerts: AlertsSectionSchema.default({}),
    /** The autoscaler (runs in a collector on a Swarm manager): interval, tolerance, dry run, lease, policies. */
    autoscale: AutoscaleSectionSchema.default({}),
    /**
     * Status checks of endpoints outside containers (containers declare theirs with
     * `vigie.check.*` labels): name, url, conditions, interval, timeout, thresholds. As an
     * environment variable (`VIGIE_CHECKS`), a JSON array.
     */
    checks: ChecksSectionSchema.default([]),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
