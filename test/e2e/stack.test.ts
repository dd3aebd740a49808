// Vigie deployed as a Swarm stack on the real one-node swarm, from the image scripts/build-image.sh
// builds: the agent (global) and the collector (on a manager) find each other through NATS and
// report this machine under its Swarm identity, with the host's own numbers read through /host.
//
// Slow: the image is built first (tsc + docker build: about 1–2 minutes here, seconds when
// nothing changed), then the stack converges in about 20 seconds. Test traffic stays on loopback:
// the test stack runs on the host network, binding 127.0.0.1 ports, and NATS runs on the host.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { loadConfig } from "../../cli/config/load.js";
import { ensureDocker, uniqueName } from "../support/docker.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { freePort } from "../support/ports.js";
import { waitFor } from "../support/wait.js";

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");
const STACK_FILE = path.join(ROOT, "deploy/stack.yml");

async function sh(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { cwd: ROOT, env: options.env ?? process.env, timeout: options.timeout ?? 60_000, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

/**
 * Whether the host's / is a shared or slave mount, as systemd makes it. The production stack
 * binds / with `rslave`, which the engine refuses on a host whose / is private (this machine has
 * no init system): there the test stack binds it without propagation.
 */
function rootPropagates(): boolean {
  const root = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" "))
    .find((f) => f[4] === "/");
  const optional = root ? root.slice(6, root.indexOf("-")) : [];
  return optional.some((o) => o.startsWith("shared:") || o.startsWith("master:"));
}

interface ComposeService {
  image: string;
  command?: string[];
  user?: string;
  environment?: Record<string, string>;
  volumes?: { type: string; source: string; target: string; read_only?: boolean; bind?: { propagation?: string } }[];
  deploy?: { mode?: string; replicas?: number; placement?: { constraints?: string[] }; resources?: { limits?: Record<string, string> } };
  ports?: { target: number; published: number }[];
}

describe("deploy/stack.yml", () => {
  it("is a valid stack file: global agent with the host mounted read-only, collector on a manager, images overridable", async () => {
    const out = await sh("docker", ["stack", "config", "-c", STACK_FILE], { env: { ...process.env, VIGIE_IMAGE: "registry.example/vigie:1.2.3" } });
    const stack = parseYaml(out) as { services: Record<string, ComposeService> };
    expect(Object.keys(stack.services).sort()).toEqual(["agent", "alertmanager", "collector", "grafana", "nats", "prometheus"]);
    const { agent, collector, nats } = stack.services;

    expect(agent!.image).toBe("registry.example/vigie:1.2.3");
    expect(agent!.command).toEqual(["agent"]);
    expect(agent!.deploy?.mode).toBe("global");
    expect(agent!.deploy?.resources?.limits?.memory).toBeDefined();
    expect(agent!.environment).toMatchObject({ VIGIE_NODE_ID: "{{.Node.ID}}", VIGIE_HOSTNAME: "{{.Node.Hostname}}", VIGIE_AGENT_HOST_ROOT: "/host" });
    const mounts = Object.fromEntries(agent!.volumes!.map((v) => [v.target, v]));
    expect(mounts["/var/run/docker.sock"]).toMatchObject({ source: "/var/run/docker.sock", read_only: true });
    expect(mounts["/host/proc"]).toMatchObject({ source: "/proc", read_only: true });
    expect(mounts["/host/sys"]).toMatchObject({ source: "/sys", read_only: true });
    expect(mounts["/host"]).toMatchObject({ source: "/", read_only: true, bind: { propagation: "rslave" } });

    expect(collector!.command).toEqual(["collector"]);
    expect(collector!.deploy?.placement?.constraints).toContain("node.role == manager");
    expect(collector!.volumes!.map((v) => v.target)).toContain("/var/run/docker.sock");
    expect(collector!.ports).toEqual([expect.objectContaining({ target: 9480, published: 9480 })]);
    expect(nats!.image).toBe("nats:2.10-alpine");
    // NATS starts through a shell that exports its passwords from the secrets first.
    expect(nats!.command?.join(" ")).toMatch(/exec nats-server -c \S+ --jetstream/);
  });

  it("sets only configuration keys Vigie knows, with valid values, in the agent and the collector", async () => {
    const out = await sh("docker", ["stack", "config", "-c", STACK_FILE]);
    const stack = parseYaml(out) as { services: Record<string, ComposeService> };
    for (const name of ["agent", "collector"]) {
      // The node templates are filled in by Swarm; give them values of the same shape.
      const env = Object.fromEntries(
        Object.entries(stack.services[name]!.environment ?? {}).map(([k, v]) => [k, v.replace("{{.Node.ID}}", "quu3t0lwju7c4p925009mx5hv").replace("{{.Node.Hostname}}", "node-1")]),
      );
      const config = loadConfig({ env: { ...env, VIGIE_DATA_DIR: "/var/lib/vigie" } });
      expect(config.nats.url).toBe("nats://nats:4222");
      expect(config.nats).toMatchObject({ user: name, passwordFile: `/run/secrets/vigie_nats_${name}_password` });
      if (name === "agent") expect(config.agent).toMatchObject({ hostRoot: "/host", listen: "0.0.0.0:9481" });
      else expect(config.api).toMatchObject({ listen: "0.0.0.0:9480", tokensFile: "/run/secrets/vigie_api_tokens" });
    }
  });

  it("ships a Prometheus configuration promtool accepts", async () => {
    const out = await sh("promtool", ["check", "config", path.join(ROOT, "deploy/prometheus/prometheus.yml")]);
    expect(out).toContain("SUCCESS");
  });

  it("ships an Alertmanager configuration amtool accepts", async () => {
    const out = await sh("amtool", ["check-config", path.join(ROOT, "deploy/alertmanager/alertmanager.yml")]);
    expect(out).toContain("SUCCESS");
  });
});

describe("the stack on a one-node swarm", () => {
  let docker: Docker;
  let nats: NatsServer | undefined;
  const stackName = uniqueName("stack");
  const workDir = mkdtempSync(path.join(os.tmpdir(), "vigie-stack-"));
  let image = "";
  let deployed = false;

  beforeAll(async () => {
    docker = await ensureDocker({ images: ["busybox", "node-base"] });
    image = (await sh("bash", [path.join(ROOT, "scripts/build-image.sh")], { timeout: 280_000 })).trim();
    nats = await startNats();
  }, 300_000);

  afterAll(async () => {
    if (deployed) await removeStack().catch(() => undefined);
    await nats?.dispose();
    rmSync(workDir, { recursive: true, force: true });
  }, 120_000);

  async function stackContainers(): Promise<Docker.ContainerInfo[]> {
    return docker.listContainers({ all: true, filters: { label: [`com.docker.stack.namespace=${stackName}`] } });
  }

  async function removeStack(): Promise<void> {
    await sh("docker", ["stack", "rm", stackName]);
    await waitFor("the stack's containers to go", async () => (await stackContainers()).length === 0, 60_000, 250);
  }

  /** What to print when the stack does not converge: its tasks and their logs. */
  async function diagnosis(): Promise<string> {
    const parts = await Promise.all([
      sh("docker", ["stack", "ps", "--no-trunc", stackName]).catch((e: Error) => e.message),
      sh("docker", ["service", "logs", "--tail", "30", `${stackName}_agent`]).catch((e: Error) => e.message),
      sh("docker", ["service", "logs", "--tail", "30", `${stackName}_collector`]).catch((e: Error) => e.message),
    ]);
    return parts.join("\n");
  }

  it("runs as its unprivileged user, and its health check follows a listen address set in a config file", async () => {
    const port = await freePort();
    const file = path.join(workDir, "vigie.yml");
    writeFileSync(file, `nats:\n  url: ${nats!.url}\nagent:\n  listen: 127.0.0.1:${port}\n  containers: false\n`, { mode: 0o644 });
    const name = uniqueName("health");
    const container = await docker.createContainer({
      name,
      Image: image,
      Cmd: ["agent", "--config", "/etc/vigie.yml"],
      Labels: { "vigie.test": "1" },
      HostConfig: { NetworkMode: "host", Binds: [`${file}:/etc/vigie.yml:ro`], AutoRemove: false },
    });
    try {
      await container.start();
      const out = await waitFor(
        "the health check to pass",
        () => sh("docker", ["exec", name, "node", "/app/deploy/healthcheck.mjs"]).catch(() => undefined),
        60_000,
        500,
      );
      expect(out).toContain(`agent healthy (http://127.0.0.1:${port}/healthz)`);
      expect((await sh("docker", ["exec", name, "id", "-u"])).trim()).toBe("1000");
    } finally {
      await container.remove({ force: true });
    }
  });

  it("reports this node with its Swarm id, hostname and the host's memory and root filesystem, then leaves nothing behind", async () => {
    const [apiPort, agentPort] = [await freePort(), await freePort()];
    const info = await docker.info();
    const swarmNodeId = (info as { Swarm: { NodeID: string } }).Swarm.NodeID;
    const swarmHostname = (info as { Name: string }).Name;
    expect(swarmNodeId).toMatch(/^[a-z0-9]{25}$/);

    // The production stack's agent and collector, on the host network and pointed at the host's NATS.
    const common = { image, user: "root", networks: ["hostnet"], healthcheck: { interval: "2s", timeout: "5s", retries: 3, start_period: "60s" } };
    const socket = { type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock" };
    const testStack = {
      version: "3.8",
      services: {
        collector: {
          ...common,
          command: ["collector"],
          environment: { VIGIE_NATS_URL: nats!.url, VIGIE_API_LISTEN: `127.0.0.1:${apiPort}`, VIGIE_INTERVAL: "1s" },
          volumes: [socket],
          deploy: { replicas: 1, placement: { constraints: ["node.role == manager"] }, restart_policy: { condition: "on-failure", max_attempts: 3 } },
        },
        agent: {
          ...common,
          command: ["agent"],
          environment: {
            VIGIE_NATS_URL: nats!.url,
            VIGIE_AGENT_LISTEN: `127.0.0.1:${agentPort}`,
            VIGIE_AGENT_HOST_ROOT: "/host",
            VIGIE_NODE_ID: "{{.Node.ID}}",
            VIGIE_HOSTNAME: "{{.Node.Hostname}}",
            VIGIE_INTERVAL: "1s",
          },
          volumes: [
            { ...socket, read_only: true },
            { type: "bind", source: "/proc", target: "/host/proc", read_only: true },
            { type: "bind", source: "/sys", target: "/host/sys", read_only: true },
            { type: "bind", source: "/", target: "/host", read_only: true, ...(rootPropagates() ? { bind: { propagation: "rslave" } } : {}) },
          ],
          deploy: { mode: "global", resources: { limits: { cpus: "0.5", memory: "256M" } }, restart_policy: { condition: "on-failure", max_attempts: 3 } },
        },
      },
      networks: { hostnet: { external: true, name: "host" } },
    };
    const file = path.join(workDir, "stack.yml");
    writeFileSync(file, toYaml(testStack));

    deployed = true;
    await sh("docker", ["stack", "deploy", "--resolve-image", "never", "-c", file, stackName]);

    const base = `http://127.0.0.1:${apiPort}`;
    type NodeView = { id: string; hostname: string; memory: { totalBytes: number } | null };
    let node: NodeView;
    try {
      node = await waitFor(
        "this node in /api/v1/nodes, with its memory",
        async () => {
          const res = await fetch(`${base}/api/v1/nodes`).catch(() => undefined);
          if (res?.status !== 200) return undefined;
          const body = (await res.json()) as { nodes: NodeView[] };
          return body.nodes.find((n) => n.id === swarmNodeId && n.memory);
        },
        120_000,
        500,
      );
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${await diagnosis()}`);
    }
    expect(node.hostname).toBe(swarmHostname);
    expect(node.hostname).toBe(os.hostname());
    // MemTotal of the host's /proc/meminfo, read through /host/proc.
    expect(node.memory!.totalBytes).toBe(os.totalmem());

    // The host's / (not the container's overlay) measured through /host: same size as statfs on the host.
    const rootFs = statfsSync("/");
    const rootSize = rootFs.blocks * rootFs.bsize;
    const sizeLine = await waitFor("the host's / in the exposition", async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return text.split("\n").find((l) => l.startsWith("node_filesystem_size_bytes{") && l.includes('mountpoint="/"') && l.includes(`node="${swarmHostname}"`));
    });
    expect(Number(sizeLine.split(" ").pop())).toBe(rootSize);

    // The agent read the engine through the socket: the stack's own collector is among the containers, with its Swarm labels.
    const collectorContainer = await waitFor("the collector's container in /api/v1/containers", async () => {
      const body = (await (await fetch(`${base}/api/v1/containers?stack=${stackName}`)).json()) as { containers: { service: string | null; stack: string | null; nodeId: string }[] };
      return body.containers.find((c) => c.service === "collector");
    });
    expect(collectorContainer).toMatchObject({ stack: stackName, nodeId: swarmNodeId });

    // The image's health check finds each process's own /healthz (ports set by environment only).
    const health = await waitFor(
      "both task containers healthy",
      async () => {
        const states = await Promise.all((await stackContainers()).filter((c) => c.State === "running").map(async (c) => (await docker.getContainer(c.Id).inspect()).State.Health?.Status));
        return states.length === 2 && states.every((s) => s === "healthy") ? states : undefined;
      },
      60_000,
      500,
    );
    expect(health).toEqual(["healthy", "healthy"]);
    // The identity came from the service's node templates (configuration), not a fallback.
    const agentHealth = (await (await fetch(`http://127.0.0.1:${agentPort}/healthz`)).json()) as { node: unknown; nats: string };
    expect(agentHealth).toMatchObject({ node: { nodeId: swarmNodeId, hostname: swarmHostname, source: "config" }, nats: "connected" });

    await removeStack();
    deployed = false;
    expect(await stackContainers()).toEqual([]);
    const services = await docker.listServices({ filters: { label: [`com.docker.stack.namespace=${stackName}`] } });
    expect(services).toEqual([]);
  }, 240_000);
});
