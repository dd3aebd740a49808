// What the end-to-end stack tests share: running the docker CLI, the production stack file as
// written, and the stack the deployed test runs — the production stack's agent and collector, on
// the host network and pointed at the host's NATS, with a few applications for them to watch.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { parse as parseYaml } from "yaml";
import { BUSYBOX } from "../support/docker.js";

const run = promisify(execFile);
export const ROOT = path.resolve(import.meta.dirname, "../..");
export const STACK_FILE = path.join(ROOT, "deploy/stack.yml");

/** Runs a command from the repository's root; the error carries its output. */
export async function sh(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd: ROOT, env: options.env ?? process.env, timeout: options.timeout ?? 60_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

export interface ComposeService {
  image: string;
  command?: string[];
  user?: string;
  environment?: Record<string, string>;
  volumes?: { type: string; source: string; target: string; read_only?: boolean; bind?: { propagation?: string } }[];
  configs?: { source: string; target: string }[];
  secrets?: (string | { source: string })[];
  deploy?: { mode?: string; replicas?: number; placement?: { constraints?: string[] }; resources?: { limits?: Record<string, string> } };
  ports?: { target: number; published: number }[];
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  configs?: Record<string, { file?: string }>;
}

/** deploy/stack.yml as written (no interpolation): where the stack mounts the collector's configuration file. */
export function productionCollectorConfig(): { target: string; source: string; file: string } {
  const stack = parseYaml(readFileSync(STACK_FILE, "utf8")) as ComposeFile;
  const collector = stack.services.collector;
  const target = collector?.environment?.VIGIE_CONFIG;
  const mount = collector?.configs?.find((c) => c.target === target);
  const file = mount ? stack.configs?.[mount.source]?.file : undefined;
  if (!target || !mount || !file) throw new Error("deploy/stack.yml: the collector has no configuration file (VIGIE_CONFIG and a config targeted there)");
  return { target, source: mount.source, file: path.resolve(path.dirname(STACK_FILE), file) };
}

/**
 * Whether the host's / is a shared or slave mount, as systemd makes it. The production stack
 * binds / with `rslave`, which the engine refuses on a host whose / is private (this machine has
 * no init system): there the test stack binds it without propagation.
 */
export function rootPropagates(): boolean {
  const root = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" "))
    .find((f) => f[4] === "/");
  const optional = root ? root.slice(6, root.indexOf("-")) : [];
  return optional.some((o) => o.startsWith("shared:") || o.startsWith("master:"));
}

export interface TestStackOptions {
  image: string;
  natsUrl: string;
  apiPort: number;
  agentPort: number;
  /** Port of the `web` application's status endpoint, on 127.0.0.1. */
  webPort: number;
  /** The collector's configuration file (mounted where the production stack mounts its own). */
  collectorConfigFile: string;
  /** The API's tokens file (a secret of the stack, as in production). */
  tokensFile: string;
  /** A word the applications write in their logs, to find them again. */
  marker: string;
}

/** The labels that opt `scaled` in: 1 to 2 replicas, half of its CPU limit as the target, no cooldown. */
export const AUTOSCALE_LABELS = {
  "vigie.autoscale.enabled": "true",
  "vigie.autoscale.min": "1",
  "vigie.autoscale.max": "2",
  "vigie.autoscale.target": "50%",
  "vigie.autoscale.cooldown.up": "0s",
} as const;

/**
 * The stack the deployed test runs. Vigie's part is the production stack's (same image, commands,
 * secrets, configuration file, named volumes) on the host network with 1-second intervals;
 * beside it three applications, as an operator's stack would have them:
 * - `web` serves a status endpoint on 127.0.0.1 (checked through its `vigie.check.*` service
 *   labels) and writes an error line every 2 seconds;
 * - `crash` writes a fatal line and exits 1 second after it starts, restarted after 1 second: a
 *   restart loop;
 * - `scaled` burns its whole CPU limit (a tenth of a core), twice the target of its
 *   `vigie.autoscale.*` labels.
 * No `$` in commands: `docker stack deploy` would interpolate it.
 */
export function testStack(o: TestStackOptions): Record<string, unknown> {
  const config = productionCollectorConfig();
  const common = { image: o.image, user: "root", networks: ["hostnet"], healthcheck: { interval: "2s", timeout: "5s", retries: 3, start_period: "60s" } };
  const socket = { type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock" };
  const app = { image: BUSYBOX, networks: ["hostnet"] };
  return {
    version: "3.8",
    services: {
      collector: {
        ...common,
        command: ["collector"],
        environment: {
          VIGIE_NATS_URL: o.natsUrl,
          VIGIE_API_LISTEN: `127.0.0.1:${o.apiPort}`,
          VIGIE_API_TOKENS_FILE: "/run/secrets/vigie_api_tokens",
          VIGIE_CONFIG: config.target,
          VIGIE_INTERVAL: "1s",
        },
        configs: [{ source: config.source, target: config.target }],
        secrets: ["vigie_api_tokens"],
        volumes: [{ type: "volume", source: "collector-data", target: "/var/lib/vigie" }, socket],
        deploy: { replicas: 1, placement: { constraints: ["node.role == manager"] }, restart_policy: { condition: "on-failure", max_attempts: 3 } },
      },
      agent: {
        ...common,
        command: ["agent"],
        environment: {
          VIGIE_NATS_URL: o.natsUrl,
          VIGIE_AGENT_LISTEN: `127.0.0.1:${o.agentPort}`,
          VIGIE_AGENT_HOST_ROOT: "/host",
          VIGIE_NODE_ID: "{{.Node.ID}}",
          VIGIE_HOSTNAME: "{{.Node.Hostname}}",
          VIGIE_INTERVAL: "1s",
        },
        volumes: [
          { type: "volume", source: "agent-data", target: "/var/lib/vigie" },
          { ...socket, read_only: true },
          { type: "bind", source: "/proc", target: "/host/proc", read_only: true },
          { type: "bind", source: "/sys", target: "/host/sys", read_only: true },
          { type: "bind", source: "/", target: "/host", read_only: true, ...(rootPropagates() ? { bind: { propagation: "rslave" } } : {}) },
        ],
        deploy: { mode: "global", resources: { limits: { cpus: "0.5", memory: "256M" } }, restart_policy: { condition: "on-failure", max_attempts: 3 } },
      },
      web: {
        ...app,
        command: ["sh", "-c", `mkdir -p /www && echo ok > /www/health && httpd -p 127.0.0.1:${o.webPort} -h /www && while true; do echo "ERROR ${o.marker} payment declined for order 42"; sleep 2; done`],
        deploy: {
          replicas: 1,
          labels: { "vigie.check.port": String(o.webPort), "vigie.check.path": "/health", "vigie.check.interval": "1s", "vigie.check.conditions": "[STATUS] == 200" },
          restart_policy: { condition: "none" },
        },
      },
      crash: {
        ...app,
        command: ["sh", "-c", `echo "FATAL ${o.marker} cannot open the database"; sleep 1; exit 1`],
        deploy: { replicas: 1, restart_policy: { condition: "any", delay: "1s" } },
      },
      scaled: {
        ...app,
        command: ["sh", "-c", "while true; do :; done"],
        deploy: { replicas: 1, labels: AUTOSCALE_LABELS, resources: { limits: { cpus: "0.1" } }, restart_policy: { condition: "none" } },
      },
    },
    networks: { hostnet: { external: true, name: "host" } },
    volumes: { "collector-data": {}, "agent-data": {} },
    configs: { [config.source]: { file: o.collectorConfigFile } },
    secrets: { vigie_api_tokens: { file: o.tokensFile } },
  };
}

export interface Leftovers {
  containers: string[];
  services: string[];
  networks: string[];
  volumes: string[];
  secrets: string[];
  configs: string[];
}

/**
 * What a stack leaves on the engine, by kind: what carries its namespace label, and (volumes,
 * secrets, configs, which outlive services) what is named after it.
 */
export async function stackLeftovers(docker: Docker, stack: string): Promise<Leftovers> {
  const filters = { label: [`com.docker.stack.namespace=${stack}`] };
  const ours = (name: string | undefined, labels: Record<string, string> | undefined) => labels?.["com.docker.stack.namespace"] === stack || (name?.startsWith(`${stack}_`) ?? false);
  type Named = { Spec?: { Name?: string; Labels?: Record<string, string> } };
  const named = (xs: Named[]) => xs.filter((x) => ours(x.Spec?.Name, x.Spec?.Labels)).map((x) => x.Spec?.Name ?? "?");
  const [containers, services, networks, volumes, secrets, configs] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listServices({ filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes(),
    docker.listSecrets(),
    docker.listConfigs(),
  ]);
  return {
    containers: containers.map((c) => c.Names[0] ?? c.Id),
    services: services.map((s) => s.Spec?.Name ?? "?"),
    networks: networks.map((n) => n.Name),
    volumes: (volumes.Volumes ?? []).filter((v) => ours(v.Name, v.Labels ?? undefined)).map((v) => v.Name),
    secrets: named(secrets),
    configs: named(configs),
  };
}
