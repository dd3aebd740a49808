// Vigie deployed as a Swarm stack on the real one-node swarm, from the image scripts/build-image.sh
// builds, and seen as an operator sees it: through the collector's API (with a token from the
// stack's secret) and its /metrics. The agent (global) and the collector (on a manager) find each
// other through NATS and report this machine under its Swarm identity; beside them, applications
// of the operator's: a labelled service whose check is reported and whose logs are searchable, a
// crash-looping one whose alert reaches the webhook of the collector's configuration file, and
// one opted in to autoscaling that is scaled up.
//
// Slow: the image is built first (tsc + docker build: 6–15 minutes on a loaded machine, less when
// nothing changed), then the stack converges in about 20 seconds and the checks, logs, alert and
// scaling follow within a minute (1-second intervals, no cooldown, in the stack's test
// configuration). Test traffic stays on loopback: the test stack runs on the host network,
// binding 127.0.0.1 ports; NATS and the webhook receiver run on the host.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import os from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify as toYaml } from "yaml";
import type { WebhookPayload } from "../../collector/notify/receiver.js";
import { ensureDocker, uniqueName } from "../support/docker.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { freePort } from "../support/ports.js";
import { waitFor } from "../support/wait.js";
import { AUTOSCALE_LABELS, ROOT, sh, stackLeftovers, testStack } from "./test-stack.js";

const BUILD_TIMEOUT_MS = 20 * 60_000;

/** The value of the first sample of `name` carrying every one of `labels`, in an exposition. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("the stack on a one-node swarm", () => {
  let docker: Docker;
  let nats: NatsServer | undefined;
  let hookServer: Server | undefined;
  const hooks: WebhookPayload[] = [];
  const stackName = uniqueName("stack");
  const workDir = mkdtempSync(path.join(os.tmpdir(), "vigie-stack-"));
  let image = "";
  let deployed = false;

  beforeAll(async () => {
    docker = await ensureDocker({ images: ["busybox", "node-base"] });
    image = (await sh("bash", [path.join(ROOT, "scripts/build-image.sh")], { timeout: BUILD_TIMEOUT_MS })).trim();
    nats = await startNats();
    // The operator's webhook: what the collector's configuration file names as the receiver.
    hookServer = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        hooks.push(JSON.parse(body) as WebhookPayload);
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((r) => hookServer!.listen(0, "127.0.0.1", r));
  }, BUILD_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    if (deployed) await removeStack().catch(() => undefined);
    await nats?.dispose();
    await new Promise<void>((r) => (hookServer ? hookServer.close(() => r()) : r()));
    rmSync(workDir, { recursive: true, force: true });
  }, 180_000);

  async function stackContainers(): Promise<Docker.ContainerInfo[]> {
    return docker.listContainers({ all: true, filters: { label: [`com.docker.stack.namespace=${stackName}`] } });
  }

  /** `docker stack rm`, then the named volumes, which it keeps (they hold data). */
  async function removeStack(): Promise<void> {
    await sh("docker", ["stack", "rm", stackName]);
    await waitFor("the stack's containers to go", async () => (await stackContainers()).length === 0, 90_000, 250);
    for (const name of (await stackLeftovers(docker, stackName)).volumes) {
      await waitFor(
        `volume ${name} removed`,
        async () => {
          try {
            await docker.getVolume(name).remove();
          } catch (err) {
            if ((err as { statusCode?: number }).statusCode !== 404) throw err;
          }
          return true;
        },
        30_000,
        500,
      );
    }
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

  describe("deployed, as an operator sees it", () => {
    const token = randomBytes(24).toString("hex");
    const marker = `e2e${randomBytes(6).toString("hex")}`;
    let apiPort = 0;
    let agentPort = 0;
    let base = "";
    let swarmNodeId = "";
    let swarmHostname = "";
    const web = () => `${stackName}_web`;
    const crash = () => `${stackName}_crash`;
    const scaled = () => `${stackName}_scaled`;

    /** GET an API route with the token of the stack's secret; undefined until it answers 200. */
    async function api<T>(route: string): Promise<T | undefined> {
      const res = await fetch(`${base}${route}`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
      return res?.status === 200 ? ((await res.json()) as T) : undefined;
    }
    const metrics = async () => (await fetch(`${base}/metrics`)).text();

    /** What to print when the stack does not converge: its tasks and their logs. */
    async function diagnosis(): Promise<string> {
      const parts = await Promise.all([
        sh("docker", ["stack", "ps", "--no-trunc", stackName]).catch((e: Error) => e.message),
        sh("docker", ["service", "logs", "--tail", "30", `${stackName}_agent`]).catch((e: Error) => e.message),
        sh("docker", ["service", "logs", "--tail", "30", `${stackName}_collector`]).catch((e: Error) => e.message),
      ]);
      return parts.join("\n");
    }
    /** waitFor, with the stack's state in the error when it times out. */
    async function expectSoon<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 120_000, everyMs = 500): Promise<T> {
      try {
        return await waitFor(what, probe, timeoutMs, everyMs);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${await diagnosis()}`);
      }
    }

    beforeAll(async () => {
      [apiPort, agentPort] = [await freePort(), await freePort()];
      const webPort = await freePort();
      base = `http://127.0.0.1:${apiPort}`;
      const info = (await docker.info()) as { Name: string; Swarm: { NodeID: string } };
      [swarmNodeId, swarmHostname] = [info.Swarm.NodeID, info.Name];

      // The collector's configuration file, where the production stack mounts deploy/collector/vigie.yml:
      // the test's webhook as the receiver, and short intervals, waits and windows.
      const hookUrl = `http://127.0.0.1:${(hookServer!.address() as { port: number }).port}/hook`;
      const collectorConfigFile = path.join(workDir, "collector.yml");
      writeFileSync(
        collectorConfigFile,
        toYaml({
          alerts: {
            evaluationInterval: "1s",
            warmup: "2s",
            receivers: [{ name: "hook", webhook: { url: hookUrl } }],
            route: { receiver: "hook", groupWait: "1s", groupInterval: "1s", repeatInterval: "1h" },
          },
          autoscale: { interval: "2s", leaseTtl: "5s" },
        }),
      );
      const tokensFile = path.join(workDir, "tokens.yml");
      writeFileSync(tokensFile, toYaml({ tokens: [{ name: "e2e", token, scope: "admin" }] }));
      const file = path.join(workDir, "stack.yml");
      writeFileSync(file, toYaml(testStack({ image, natsUrl: nats!.url, apiPort, agentPort, webPort, collectorConfigFile, tokensFile, marker })));

      deployed = true;
      await sh("docker", ["stack", "deploy", "--resolve-image", "never", "-c", file, stackName]);
    }, 120_000);

    it("reports this node with its Swarm id, hostname and the host's memory and root filesystem, behind the API's tokens", async () => {
      expect(swarmNodeId).toMatch(/^[a-z0-9]{25}$/);
      type NodeView = { id: string; hostname: string; memory: { totalBytes: number } | null };
      const node = await expectSoon("this node in /api/v1/nodes, with its memory", async () => (await api<{ nodes: NodeView[] }>("/api/v1/nodes"))?.nodes.find((n) => n.id === swarmNodeId && n.memory));
      expect(node.hostname).toBe(swarmHostname);
      expect(node.hostname).toBe(os.hostname());
      // MemTotal of the host's /proc/meminfo, read through /host/proc.
      expect(node.memory!.totalBytes).toBe(os.totalmem());
      // The tokens file of the stack's secret is in force: no token, no answer.
      expect((await fetch(`${base}/api/v1/nodes`)).status).toBe(401);

      // The host's / (not the container's overlay) measured through /host: same size as statfs on the host.
      const rootFs = statfsSync("/");
      const size = await waitFor("the host's / in the exposition", async () => sample(await metrics(), "node_filesystem_size_bytes", { mountpoint: "/", node: swarmHostname }));
      expect(size).toBe(rootFs.blocks * rootFs.bsize);

      // The agent read the engine through the socket: the stack's own collector is among the containers, with its Swarm labels.
      type ContainerView = { service: string | null; stack: string | null; nodeId: string };
      const collectorContainer = await waitFor("the collector's container in /api/v1/containers", async () =>
        (await api<{ containers: ContainerView[] }>(`/api/v1/containers?stack=${stackName}`))?.containers.find((c) => c.service === "collector"),
      );
      expect(collectorContainer).toMatchObject({ stack: stackName, nodeId: swarmNodeId });

      // The image's health check finds each process's own /healthz (ports set by environment only).
      const health = await expectSoon(
        "the agent's and the collector's containers healthy",
        async () => {
          const ours = (await stackContainers()).filter((c) => c.State === "running" && /^\/[^/]*_(agent|collector)\./.test(c.Names[0] ?? ""));
          const states = await Promise.all(ours.map(async (c) => (await docker.getContainer(c.Id).inspect()).State.Health?.Status));
          return states.length === 2 && states.every((s) => s === "healthy") ? states : undefined;
        },
        60_000,
      );
      expect(health).toEqual(["healthy", "healthy"]);
      // The identity came from the service's node templates (configuration), not a fallback.
      const agentHealth = (await (await fetch(`http://127.0.0.1:${agentPort}/healthz`)).json()) as { node: unknown; nats: string };
      expect(agentHealth).toMatchObject({ node: { nodeId: swarmNodeId, hostname: swarmHostname, source: "config" }, nats: "connected" });
    }, 240_000);

    it("reports the check its service labels declare, in /api/v1/checks and as probe_success in /metrics", async () => {
      type CheckView = { name: string; state: string; node: string; httpStatusCode: number | null; resource: Record<string, unknown> };
      const check = await expectSoon("the web service's check up in /api/v1/checks", async () =>
        (await api<{ checks: CheckView[] }>("/api/v1/checks?service=web"))?.checks.find((c) => c.name === web() && c.state === "up"),
      );
      expect(check).toMatchObject({ node: swarmHostname, httpStatusCode: 200, resource: { "service.name": "web", "service.namespace": stackName } });
      const labels = { check: web(), service: "web", node: swarmHostname };
      const text = await expectSoon("the check in /metrics", async () => {
        const t = await metrics();
        return sample(t, "probe_success", labels) === 1 ? t : undefined;
      });
      expect(sample(text, "probe_http_status_code", labels)).toBe(200);
      expect(sample(text, "vigie_check_state", { ...labels, state: "up" })).toBe(1);
    }, 180_000);

    it("finds the applications' log lines through /api/v1/logs, and counts them by severity in /metrics", async () => {
      type LogRecord = { node: string; stack: string | null; service: string | null; swarmService: string | null; severity: string; body: unknown };
      const search = (query: string) => api<{ records: LogRecord[] }>(`/api/v1/logs?${query}&q=${marker}`);
      const error = await expectSoon("the web service's error line", async () => (await search(`stack=${stackName}&service=web&level=error`))?.records[0]);
      expect(error).toMatchObject({ node: swarmHostname, stack: stackName, service: "web", swarmService: web(), severity: "ERROR" });
      expect(JSON.stringify(error.body)).toContain(`${marker} payment declined for order 42`);
      // The crash-looping service's last words, from containers that exited a second after they started.
      const fatal = await expectSoon("the crash service's fatal line", async () => (await search(`service=${crash()}&level=fatal`))?.records[0]);
      expect(fatal).toMatchObject({ service: "crash", severity: "FATAL" });
      expect(JSON.stringify(fatal.body)).toContain(`${marker} cannot open the database`);
      // Below the level asked, nothing: the web service writes no fatal line.
      expect((await search(`stack=${stackName}&service=web&level=fatal`))?.records).toEqual([]);

      const counted = await expectSoon("the web service's error records in /metrics", async () => sample(await metrics(), "vigie_log_records_total", { stack: stackName, service: "web", severity: "ERROR" }));
      expect(counted).toBeGreaterThanOrEqual(1);
    }, 180_000);

    it("fires ContainerRestartLoop for the crash-looping service, and the webhook of the collector's configuration gets it", async () => {
      type Delivered = { receiver: string; alert: WebhookPayload["alerts"][number] };
      const delivered = await expectSoon("ContainerRestartLoop of the crash service at the webhook", async () =>
        hooks.flatMap((h): Delivered[] => h.alerts.map((alert) => ({ receiver: h.receiver, alert }))).find(({ alert }) => alert.labels.alertname === "ContainerRestartLoop" && alert.labels.service === crash() && alert.status === "firing"),
      );
      expect(delivered.receiver).toBe("hook");
      expect(delivered.alert.labels).toMatchObject({ container: `${crash()}.1`, stack: stackName, node: swarmHostname, severity: "warning" });
      expect(delivered.alert.annotations.summary).toBe(`Container ${crash()}.1 restarts in a loop`);

      type AlertView = { alertname: string; state: string; labels: Record<string, string> };
      const open = await api<{ alerts: AlertView[] }>("/api/v1/alerts?alertname=ContainerRestartLoop&state=firing");
      expect(open?.alerts.some((a) => a.labels.service === crash())).toBe(true);
      const text = await expectSoon("the delivery counted in /metrics", async () => {
        const t = await metrics();
        return (sample(t, "vigie_alert_notifications_total", { receiver: "hook", outcome: "sent" }) ?? 0) >= 1 ? t : undefined;
      });
      expect(sample(text, "vigie_alerts", { alertname: "ContainerRestartLoop", state: "firing" })).toBeGreaterThanOrEqual(1);
    }, 180_000);

    it("scales the opted-in service up to its max on its tasks' CPU, and says so in /api/v1/autoscale and /metrics", async () => {
      type EventView = { service: string; direction: string; reason: string; from: number; to: number };
      const up = await expectSoon("the scale-up to 2 in /api/v1/autoscale/events", async () =>
        (await api<{ events: EventView[] }>(`/api/v1/autoscale/events?service=${scaled()}&reason=scaled`))?.events.find((e) => e.direction === "up" && e.to === 2),
      );
      expect(up.from).toBe(1);
      const spec = (await docker.getService(scaled()).inspect()) as { Spec: { Mode: { Replicated: { Replicas: number } } } };
      expect(spec.Spec.Mode.Replicated.Replicas).toBe(2);

      type Status = { leader: boolean; services: { service: string; valid: boolean; policy: { min: number; max: number } | null }[] };
      const status = await api<Status>("/api/v1/autoscale");
      expect(status?.leader).toBe(true);
      expect(status?.services.find((s) => s.service === scaled())).toMatchObject({ valid: true, policy: { min: Number(AUTOSCALE_LABELS["vigie.autoscale.min"]), max: 2 } });
      // Services that did not opt in are not the autoscaler's business.
      expect(status?.services.some((s) => s.service === web())).toBe(false);

      const text = await expectSoon("both replicas running in /metrics (the Swarm view reads every 10 s)", async () => {
        const t = await metrics();
        return sample(t, "vigie_swarm_service_replicas_running", { service: scaled() }) === 2 ? t : undefined;
      });
      expect(sample(text, "vigie_autoscale_events_total", { service: scaled(), direction: "up", reason: "scaled" })).toBeGreaterThanOrEqual(1);
      expect(sample(text, "vigie_autoscale_desired_replicas", { service: scaled() })).toBe(2);
      expect(text).toMatch(/^vigie_autoscale_leader 1$/m);
    }, 180_000);

    it("goes away with docker stack rm and its volumes, leaving no container, service, network, volume, secret or config", async () => {
      // What the deployment made, so that "nothing left" below is not said of nothing.
      const made = await stackLeftovers(docker, stackName);
      expect(made.volumes.sort()).toEqual([`${stackName}_agent-data`, `${stackName}_collector-data`]);
      expect(made.secrets).toEqual([`${stackName}_vigie_api_tokens`]);
      expect(made.configs).toEqual([`${stackName}_collector_config`]);
      expect(made.services.sort()).toEqual(["agent", "collector", "crash", "scaled", "web"].map((s) => `${stackName}_${s}`));

      await removeStack();
      deployed = false;
      expect(await stackLeftovers(docker, stackName)).toEqual({ containers: [], services: [], networks: [], volumes: [], secrets: [], configs: [] });
    }, 180_000);
  });
});
