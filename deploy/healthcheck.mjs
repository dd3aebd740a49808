// Container health check: GET /healthz of the Vigie process running in this container.
//
//   node /app/deploy/healthcheck.mjs [agent|collector]
//
// Without an argument the role comes from PID 1's command line (`… main.js agent`, also behind
// docker-init). The address is the one that process uses: the configuration is loaded the same
// way (file from --config/VIGIE_CONFIG, then VIGIE_* variables), so a listen address set in a
// file is honoured. A wildcard address (0.0.0.0, ::) is asked on loopback. Exit 0 = healthy.
import { readFileSync } from "node:fs";
import { loadConfig } from "../dist/cli/config/load.js";

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

async function main() {
  const args = pid1Args();
  const entry = args.findIndex((a) => a.endsWith("main.js"));
  const rest = entry >= 0 ? args.slice(entry + 1) : [];
  const role = process.argv[2] ?? rest.find((a) => a === "agent" || a === "collector" || a === "up") ?? "agent";
  const config = loadConfig({ file: optionValue(rest, "--config", "-c") ?? process.env.VIGIE_CONFIG });
  const listen = role === "agent" ? config.agent.listen : config.api.listen;
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
