import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { promisify } from "node:util";
import Docker from "dockerode";

const run = promisify(execFile);
const SCRIPT = path.resolve(import.meta.dirname, "../../scripts/docker.sh");

/** The busybox image scripts/images.sh imports (sh, sleep, httpd, …). */
export const BUSYBOX = "vigie-test/busybox:1";
/** The node base image, built only when asked for (`ensureDocker({ images: ["busybox", "node-base"] })`). */
export const NODE_BASE = "vigie-test/node-base:20";
/**
 * The engine the tests use: DOCKER_HOST when it names a Unix socket (point the suite at a
 * disposable engine that way), else the default socket. scripts/docker.sh reads the same variable.
 */
export const DOCKER_SOCKET = process.env.DOCKER_HOST?.startsWith("unix://") ? process.env.DOCKER_HOST.slice("unix://".length) : "/var/run/docker.sock";

let ready: Promise<void> | undefined;

/**
 * Makes sure the test Docker engine answers, in a one-node swarm, with the test images:
 * runs scripts/docker.sh once per process (it is idempotent and quick when all is there).
 * Throws with the script's output when the engine cannot be started: a test needing Docker
 * fails loudly, never skips.
 */
export async function ensureDocker(options: { images?: ("busybox" | "node-base")[] } = {}): Promise<Docker> {
  const images = (options.images ?? ["busybox"]).join(" ");
  if (images !== "busybox") {
    await script(["start"], images);
  } else {
    ready ??= script(["start"], images).catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    await ready;
  }
  return new Docker({ socketPath: DOCKER_SOCKET });
}

/** Stops the test engine (its containers stop with it); the swarm state stays on disk. */
export async function stopDocker(): Promise<void> {
  ready = undefined;
  await script(["stop"]);
}

/** Starts the engine again (after stopDocker) and waits for the swarm. */
export async function startDocker(): Promise<Docker> {
  ready = undefined;
  return ensureDocker();
}

async function script(args: string[], images = "busybox"): Promise<void> {
  try {
    await run("bash", [SCRIPT, ...args], { env: { ...process.env, VIGIE_TEST_IMAGES: images }, timeout: 180_000, maxBuffer: 4 * 1024 * 1024 });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`scripts/docker.sh ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

/** A name no other test run uses: `vigie-test-<what>-<random>`. */
export function uniqueName(what: string): string {
  return `vigie-test-${what}-${randomBytes(4).toString("hex")}`;
}

export interface ContainerSpec {
  name?: string;
  image?: string;
  cmd: string[];
  /** `host` by default (tests talk to loopback only); `none` gives the container its own, empty, namespace. */
  network?: "host" | "none";
  memoryBytes?: number;
  nanoCpus?: number;
  labels?: Record<string, string>;
  /** A health check command run every `healthIntervalMs` (default 500 ms). */
  healthCmd?: string[];
  healthIntervalMs?: number;
}

/** Creates and starts a container; returns it with its name. Remove it with removeContainer. */
export async function runContainer(docker: Docker, spec: ContainerSpec): Promise<{ container: Docker.Container; id: string; name: string }> {
  const name = spec.name ?? uniqueName("c");
  const container = await docker.createContainer({
    name,
    Image: spec.image ?? BUSYBOX,
    Cmd: spec.cmd,
    Labels: { "vigie.test": "1", ...spec.labels },
    ...(spec.healthCmd
      ? { Healthcheck: { Test: ["CMD", ...spec.healthCmd], Interval: (spec.healthIntervalMs ?? 500) * 1e6, Timeout: 2e9, Retries: 1, StartPeriod: 0 } }
      : {}),
    HostConfig: {
      NetworkMode: spec.network ?? "host",
      ...(spec.memoryBytes ? { Memory: spec.memoryBytes, MemorySwap: spec.memoryBytes } : {}),
      ...(spec.nanoCpus ? { NanoCpus: spec.nanoCpus } : {}),
    },
  });
  await container.start();
  return { container, id: container.id, name };
}

/** `docker rm -f`; a container already gone is fine. */
export async function removeContainer(docker: Docker, idOrName: string): Promise<void> {
  try {
    await docker.getContainer(idOrName).remove({ force: true });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
}

export interface ServiceSpec {
  name?: string;
  image?: string;
  cmd: string[];
  replicas?: number;
  labels?: Record<string, string>;
  /** Container labels, e.g. `com.docker.stack.namespace` to look like a stack's service. */
  containerLabels?: Record<string, string>;
}

/** Creates a replicated Swarm service on the host network; remove it with removeService. */
export async function createService(docker: Docker, spec: ServiceSpec): Promise<{ id: string; name: string }> {
  const name = spec.name ?? uniqueName("svc");
  const service = await docker.createService({
    Name: name,
    Labels: { "vigie.test": "1", ...spec.labels },
    TaskTemplate: {
      ContainerSpec: { Image: spec.image ?? BUSYBOX, Command: spec.cmd, Labels: spec.containerLabels },
      Networks: [{ Target: "host" }],
      RestartPolicy: { Condition: "none" },
    },
    Mode: { Replicated: { Replicas: spec.replicas ?? 1 } },
  } as Docker.CreateServiceOptions);
  return { id: (service as unknown as { id: string }).id, name };
}

/** Removes a service and waits until its task containers are gone. */
export async function removeService(docker: Docker, name: string): Promise<void> {
  try {
    await docker.getService(name).remove();
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode !== 404) throw err;
  }
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const left = await docker.listContainers({ all: true, filters: { label: [`com.docker.swarm.service.name=${name}`] } });
    if (left.length === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}
