#!/usr/bin/env node
import { parseArgs } from "node:util";
import type { Agent } from "../agent/index.js";
import type { Collector } from "../collector/index.js";
import { createLogger, startTracing, VIGIE_VERSION as AGENT_VERSION } from "../lib/index.js";
import { ConfigError, configKeys, loadConfig } from "./config/load.js";
import { redactSecrets } from "../lib/secrets.js";
import type { Config } from "./config/schema.js";
import { startNatsServer, type RunningNats } from "./nats-server.js";
import { agentOptions, collectorOptions } from "./options.js";
import { QUERIES } from "./query.js";
import { LOG_QUERY_HELP, LOG_QUERY_OPTIONS } from "./logs.js";
import { ALERT_QUERIES, runAlertsCommand } from "./alerts.js";
import { runSilenceCommand } from "./silence.js";
import { ensureUpToken, readUpToken, upTokenFile } from "./up-token.js";

const HELP = `vigie ${AGENT_VERSION} — monitoring and supervision for Docker Swarm

Usage: vigie <command> [options]

Commands:
  up                    run NATS, the collector and the agent on this machine (Ctrl-C stops all three)
  agent                 run the per-node agent
  collector             run the collector (API on 127.0.0.1:9480 by default)
  query <what> [--json] ask the collector: ${Object.keys({ ...QUERIES, ...ALERT_QUERIES }).join(", ")}
        [--limit N]     lists follow every page up to N items (default 10000; stderr says when cut)
${LOG_QUERY_HELP}
  silence add MATCHER… [--duration 1h] [--comment TEXT] | silence ls | silence expire ID
  alerts check [PATH…]  validate alert rule files (default: the shipped rules)
  alerts export --format prometheus [--output DIR] [PATH…]
                        write the rules as Prometheus rule files
  config check          validate the configuration and print it with defaults applied
  config keys           list every configuration key and its environment variable
  dashboards build --out DIR
                        write the Grafana dashboards (JSON) and provisioning files to DIR

Options:
  -c, --config FILE     YAML configuration file (every key is also settable as VIGIE_*)
      --data-dir DIR    where state is kept (VIGIE_DATA_DIR; default ./.vigie)
      --api URL         collector URL for \`query\` (default from api.listen)
      --token TOKEN     bearer token for \`query\` (default VIGIE_API_TOKEN)
      --json            machine-readable output for \`query\`
  -h, --help            this help
  -v, --version         print the version
`;

type Out = (text: string) => void;

export async function main(argv: string[], out: Out = (t) => process.stdout.write(`${t}\n`)): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c" },
        "data-dir": { type: "string" },
        api: { type: "string" },
        token: { type: "string" },
        json: { type: "boolean" },
        format: { type: "string" },
        output: { type: "string" },
        duration: { type: "string" },
        comment: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
        ...LOG_QUERY_OPTIONS,
      },
    });
  } catch (err) {
    process.stderr.write(`vigie: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.version) {
    out(AGENT_VERSION);
    return 0;
  }
  if (values.help || !command || command === "help") {
    out(HELP);
    return command || values.help ? 0 : 2;
  }

  const load = (): Config => loadConfig({ file: values.config ?? process.env.VIGIE_CONFIG, overrides: { dataDir: values["data-dir"] } });
  try {
    switch (command) {
      case "up":
        return await runUp(load());
      case "agent":
        return await runAgent(load());
      case "collector":
        return await runCollector(load());
      case "alerts":
        return runAlertsCommand(rest, { out, err: (t) => process.stderr.write(`${t}\n`), format: values.format, output: values.output });
      case "silence": {
        const config = load();
        await runSilenceCommand(rest, { apiUrl: values.api ?? `http://${config.api.listen}`, token: values.token ?? config.api.token ?? readUpToken(config.dataDir), json: values.json ?? false, out }, { duration: values.duration, comment: values.comment });
        return 0;
      }
      case "config":
        if (rest[0] === "keys") {
          for (const k of configKeys()) out(`${k.path.join(".").padEnd(32)} ${k.env}`);
          return 0;
        }
        if (rest[0] === "check" || rest[0] === undefined) {
          out(JSON.stringify(redactSecrets(load()), null, 2));
          return 0;
        }
        throw new UsageError(`unknown config subcommand ${rest[0]}`);
      case "dashboards": {
        if (rest[0] !== "build" || !values.out) throw new UsageError("usage: vigie dashboards build --out DIR");
        const { writeDashboards } = await import("./dashboards.js");
        for (const f of writeDashboards(values.out)) out(f);
        return 0;
      }
      case "query": {
        const what = rest[0];
        const run = what ? { ...QUERIES, ...ALERT_QUERIES }[what] : undefined;
        if (!run) throw new UsageError(`query what? one of: ${Object.keys({ ...QUERIES, ...ALERT_QUERIES }).join(", ")}`);
        const config = load();
        await run({ apiUrl: values.api ?? `http://${config.api.listen}`, token: values.token ?? config.api.token ?? readUpToken(config.dataDir), json: values.json ?? false, out, options: values });
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`vigie: ${err.message}\n`);
      return 78; // EX_CONFIG
    }
    if (err instanceof UsageError) {
      process.stderr.write(`vigie: ${err.message}\n\n${HELP}`);
      return 2;
    }
    process.stderr.write(`vigie: ${(err as Error).message}\n`);
    return 1;
  }
}

class UsageError extends Error {}

/** Resolves on the first SIGINT/SIGTERM. */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (sig: string) => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      resolve(sig);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}

async function runAgent(config: Config): Promise<number> {
  const log = createLogger("vigie-agent", config.log.level);
  const tracing = await startTracing("vigie-agent", AGENT_VERSION);
  // Each process loads only its own half: the agent never pays for fastify or SQLite.
  const { startAgent } = await import("../agent/index.js");
  const agent = await startAgent(agentOptions(config, log));
  await untilSignal();
  await agent.stop();
  await tracing.shutdown();
  return 0;
}

async function runCollector(config: Config): Promise<number> {
  const log = createLogger("vigie-collector", config.log.level);
  const tracing = await startTracing("vigie-collector", AGENT_VERSION);
  const { startCollector } = await import("../collector/index.js");
  const collector = await startCollector(collectorOptions(config, log));
  await untilSignal();
  await collector.stop();
  await tracing.shutdown();
  return 0;
}

async function runUp(config: Config): Promise<number> {
  const log = createLogger("vigie", config.log.level);
  const tracing = await startTracing("vigie", AGENT_VERSION);
  let nats: RunningNats | undefined;
  let collector: Collector | undefined;
  let agent: Agent | undefined;
  let tokenLine = "";
  let natsDied: (code: number | null) => void = () => undefined;
  const died = new Promise<string>((resolve) => (natsDied = (code) => resolve(`nats-server exited unexpectedly (code ${code})`)));
  const stopAll = async () => {
    await agent?.stop().catch((e: unknown) => log.error({ err: (e as Error).message }, "agent stop failed"));
    await collector?.stop().catch((e: unknown) => log.error({ err: (e as Error).message }, "collector stop failed"));
    await nats?.stop();
    await tracing.shutdown();
  };
  const [{ startAgent }, { startCollector }] = await Promise.all([import("../agent/index.js"), import("../collector/index.js")]);
  try {
    nats = await startNatsServer(config.nats.url, config.dataDir, (code) => natsDied(code));
    // Without configured tokens, `vigie up` makes one admin token (kept under the data dir) rather than run an open API.
    const generated = config.api.token || config.api.tokensFile ? undefined : ensureUpToken(config.dataDir);
    collector = await startCollector({ ...collectorOptions(config, log.child({ component: "collector" })), ...(generated ? { apiToken: generated } : {}) });
    tokenLine = generated ? `  Token:   ${generated}  (admin; kept in ${upTokenFile(config.dataDir)}, used by vigie query)\n` : "";
    agent = await startAgent(agentOptions(config, log.child({ component: "agent" })));
  } catch (err) {
    await stopAll();
    throw err;
  }
  process.stderr.write(
    `\nVigie is up.\n  API:     ${collector.url}/api/v1/nodes\n  Metrics: ${collector.url}/metrics\n  Agent:   ${agent.url}/healthz\n${tokenLine}  NATS:    ${nats.url} (JetStream, data in ${config.dataDir})\nCtrl-C stops all three.\n\n`,
  );
  const reason = await Promise.race([untilSignal(), died]);
  log.info({ reason }, "stopping");
  await stopAll();
  process.stderr.write("Vigie stopped.\n");
  return reason.startsWith("nats-server") ? 1 : 0;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`vigie: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
