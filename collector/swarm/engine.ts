import { existsSync } from "node:fs";
import Docker from "dockerode";

/** `collector.swarm.enabled`: on, off, or on when there is an engine to ask (the default). */
export type SwarmSetting = boolean | "auto";

/** Where the Swarm view reads from: `DOCKER_HOST` as the docker CLI reads it, or a socket. */
export type SwarmEngine = { kind: "docker_host"; host: string } | { kind: "socket"; path: string };

export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

/**
 * Which engine the collector's Swarm view asks, or none. An explicit socket path wins; then
 * `DOCKER_HOST` (unix:// or tcp://, the operator's own setting); then the default socket. `auto`
 * turns the view on for `DOCKER_HOST` (the engine then says whether it is a manager; the watcher
 * reports it) or when the default socket exists; `false` turns it off whatever is there.
 */
export function swarmEngine(
  setting: { enabled?: SwarmSetting; socketPath?: string },
  env: NodeJS.ProcessEnv = process.env,
  exists: (path: string) => boolean = existsSync,
): SwarmEngine | undefined {
  const enabled = setting.enabled ?? "auto";
  if (enabled === false) return undefined;
  if (setting.socketPath) return enabled === true || exists(setting.socketPath) ? { kind: "socket", path: setting.socketPath } : undefined;
  const host = env.DOCKER_HOST?.trim();
  if (host) return { kind: "docker_host", host };
  return enabled === true || exists(DEFAULT_DOCKER_SOCKET) ? { kind: "socket", path: DEFAULT_DOCKER_SOCKET } : undefined;
}

/**
 * A client for that engine. `DOCKER_HOST` is read by docker-modem itself from the environment
 * (with `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH` for tcp://), so TLS works as with the docker
 * CLI; a value it cannot read stops start-up with the variable named.
 */
export function swarmDocker(engine: SwarmEngine): Docker {
  if (engine.kind === "socket") return new Docker({ socketPath: engine.path });
  try {
    return new Docker();
  } catch (err) {
    throw new Error(`DOCKER_HOST = ${JSON.stringify(engine.host)}: ${(err as Error).message}`, { cause: err });
  }
}

/** Where the view reads from, for the log: never a credential (DOCKER_HOST carries none, but a URL could). */
export function describeEngine(engine: SwarmEngine): string {
  return engine.kind === "socket" ? `unix://${engine.path}` : engine.host.replace(/\/\/[^@/]*@/, "//");
}
