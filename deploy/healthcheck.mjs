// Container health check: GET /healthz of the Vigie process running in this container.
//
//   node /app/deploy/healthcheck.mjs [agent|collector]
//
// Without an argument the role comes from PID 1's command line (`… main.js agent`, also behind
// docker-init). The address is the one that process uses, found the way its configuration is
// loaded — VIGIE_AGENT_LISTEN / VIGIE_API_LISTEN, else the file of --config/VIGIE_CONFIG, else the
// defaults 127.0.0.1:9481 / 127.0.0.1:9480 — without loading the whole configuration: this runs
// every 30 s inside the agent's CPU limit. A wildcard address (0.0.0.0, ::) is asked on loopback.
// Exit 0 = healthy.
import { readFileSync } from "node:fs";

const TIMEOUT_MS = 4_000;

function pid1Args() {
  try {
    return readFileSync("/proc/1/cmdline", "utf8").split("\0").filter(Boolean);
  } catch {
    return [];
  }
}

function optionValue(args, long, short) {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === long || a === short) return args[i + 1];
    if (a.startsWith(`${long}=`)) return a.slice(long.length + 1);
  }
  return undefined;
}

/** `0.0.0.0:9480` → `127.0.0.1:9480`, `[::]:9481` → `[::1]:9481`. */
function dialAddress(listen) {
  const at = listen.lastIndexOf(":");
  const host = listen.slice(0, at);
  const port = listen.slice(at + 1);
  if (host === "" || host === "0.0.0.0") return `127.0.0.1:${port}`;
  if (host === "[::]" || host === "::") return `[::1]:${port}`;
  return listen;
}

async function listenAddress(role, file) {
  const [section, env, fallback] = role === "agent" ? ["agent", "VIGIE_AGENT_LISTEN", "127.0.0.1:9481"] : ["api", "VIGIE_API_LISTEN", "127.0.0.1:9480"];
  if (process.env[env]) return process.env[env];
  if (file) {
    const { parse } = await import("yaml");
    const listen = parse(readFileSync(file, "utf8"))?.[section]?.listen;
    if (typeof listen === "string") return listen;
  }
  return fallback;
}

async function main() {
  const args = pid1Args();
  const entry = args.findIndex((a) => a.endsWith("main.js"));
  const rest = entry >= 0 ? args.slice(entry + 1) : [];
  const role = process.argv[2] ?? rest.find((a) => a === "agent" || a === "collector" || a === "up") ?? "agent";
  const listen = await listenAddress(role, optionValue(rest, "--config", "-c") ?? process.env.VIGIE_CONFIG);
  const url = `http://${dialAddress(listen)}/healthz`;
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}`);
  process.stdout.write(`${role} healthy (${url})\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stdout.write(`unhealthy: ${err?.message ?? err}\n`);
    process.exit(1);
  },
);
