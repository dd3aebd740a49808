import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../agent/index.js";
import { AutoscaleSectionSchema, type AutoscaleEvent } from "../../collector/autoscale/index.js";
import { startCollector, type Collector } from "../../collector/index.js";
import { BUSYBOX, DOCKER_SOCKET, ensureDocker, removeService, uniqueName } from "../support/docker.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { agentTestOptions, collectorTestOptions, getJson } from "../support/vigie.js";
import { waitFor } from "../support/wait.js";

interface Inspected {
  Version: { Index: number };
  Spec: { Mode: { Replicated: { Replicas: number } } };
}

interface EventView {
  service: string;
  reason: string;
  direction: string;
  from: number;
  to: number;
  time: string;
  inputs: { values?: (number | null)[]; capacity?: number; metric?: string };
}

/**
 * The autoscaler as `vigie collector` runs it: the real collector on the real swarm, fed by a
 * real agent over a real nats-server. The load it scales on is the agent's container CPU, read
 * from the collector's model — stopping the agent leaves the autoscaler without metrics.
 */
describe("autoscaler wired into the collector", () => {
  let docker: Docker;
  let nats: NatsServer;
  let collector: Collector;
  let agent: Agent | undefined;
  let collectorDir: string;
  let agentDir: string;
  let ctl: string;
  const created: string[] = [];
  const timings: string[] = [];

  const inspect = async (name: string) => (await docker.getService(name).inspect()) as Inspected;
  const runningTasks = async (name: string) =>
    ((await docker.listTasks({ filters: { service: [name], "desired-state": ["running"] } })) as { ID: string; Status?: { State?: string } }[]).filter((t) => t.Status?.State === "running");

  async function create(name: string, labels: Record<string, string>) {
    created.push(name);
    await docker.createService({
      Name: name,
      Labels: { "vigie.test": "1", ...labels },
      TaskTemplate: {
        // Burn while the control file exists, then idle: the load stops without touching the service.
        ContainerSpec: { Image: BUSYBOX, Command: ["sh", "-c", "while [ -e /ctl/burn ]; do :; done; exec sleep 100000"], Mounts: [{ Type: "bind", Source: ctl, Target: "/ctl", ReadOnly: true }] },
        Networks: [{ Target: "host" }],
        // A tenth of a core per task: a busy loop is 100 % of its limit, twice the 50 % target.
        Resources: { Limits: { NanoCPUs: 1e8 } },
        RestartPolicy: { Condition: "none" },
      },
      Mode: { Replicated: { Replicas: 1 } },
    } as Docker.CreateServiceOptions);
  }

  beforeAll(async () => {
    docker = await ensureDocker();
    nats = await startNats();
    collectorDir = mkdtempSync(path.join(tmpdir(), "vigie-autoscale-collector-"));
    agentDir = mkdtempSync(path.join(tmpdir(), "vigie-autoscale-agent-"));
    ctl = mkdtempSync(path.join(tmpdir(), "vigie-autoscale-ctl-"));
    collector = await startCollector(
      collectorTestOptions(nats.url, collectorDir, {
        swarm: { enabled: true, socketPath: DOCKER_SOCKET, intervalMs: 1000 },
        autoscale: AutoscaleSectionSchema.parse({ interval: "2s", leaseTtl: "5s", stabilizationWindow: "10s" }),
      }),
    );
    agent = await startAgent(agentTestOptions(nats.url, agentDir, { dockerSocket: DOCKER_SOCKET, intervalMs: 1000 }));
  });

  afterAll(async () => {
    await agent?.stop();
    await collector?.stop();
    await nats?.dispose();
    for (const name of created) await removeService(docker, name).catch(() => {});
    for (const d of [collectorDir, agentDir, ctl]) if (d) rmSync(d, { recursive: true, force: true });
    if (timings.length > 0) console.log(`autoscaler in the collector, decision times:\n  ${timings.join("\n  ")}`);
  });

  it("scales an opted-in CPU-burning service up on the agent's metrics and back down, never touches an unlabelled one, and says so in its routes and /metrics", async () => {
    const autoscale = collector.autoscale;
    if (!autoscale) expect.fail("the collector started no autoscaler although its Swarm view is on");
    const heard: AutoscaleEvent[] = [];
    autoscale.audit.subscribe((e) => heard.push(e));
    const scaled = (service: string, direction: string) => autoscale.audit.list({ service, reason: "scaled", limit: 1000 }).filter((e) => e.direction === direction);

    writeFileSync(path.join(ctl, "burn"), "1");
    const hot = uniqueName("asc-hot");
    const plain = uniqueName("asc-plain");
    const policy = { "vigie.autoscale.enabled": "true", "vigie.autoscale.min": "1", "vigie.autoscale.max": "3", "vigie.autoscale.target": "50%", "vigie.autoscale.cooldown.up": "0s", "vigie.autoscale.cooldown.down": "0s", "vigie.autoscale.stabilization": "10s" };
    await create(hot, policy);
    await create(plain, {});
    const [first] = await waitFor("the opted-in service's task running", async () => ((await runningTasks(hot)).length === 1 ? runningTasks(hot) : undefined), 60_000, 200);
    const running = Date.now();
    await waitFor("the unlabelled service's task running", async () => (await runningTasks(plain)).length === 1, 60_000, 200);
    const plainVersion = (await inspect(plain)).Version.Index;

    // The model holds the task's CPU as its agent reported it (a rate needs two samples).
    const container = await waitFor("the task's CPU in the collector's model", () => collector.model.containers((c) => c.taskId === first?.ID && c.cpuCores !== null)[0], 30_000, 100);
    const measured = Date.now();
    expect(container.swarmService).toBe(hot);

    const up = await waitFor("a first scale-up", () => scaled(hot, "up")[0], 60_000, 200);
    timings.push(`task's CPU seen in the model ${measured - running} ms after the task ran (polled every 100 ms); first scale-up ${up.from}→${up.to} decided ${up.time - running} ms after the task ran`);
    // Decided on the model's numbers: the task's CPU against its 0.1-core limit, near 100 %.
    expect(up.inputs).toMatchObject({ metric: "cpu", capacity: 0.1 });
    expect((up.inputs.values as (number | null)[])[0]).toBeGreaterThan(0.6);

    await waitFor("the service at its max of 3", async () => (await inspect(hot)).Spec.Mode.Replicated.Replicas === 3, 90_000, 250);
    const atMax = scaled(hot, "up").find((e) => e.to === 3) as AutoscaleEvent;
    timings.push(`at max 3: ${atMax.time - running} ms after the task ran (${scaled(hot, "up").length} scale-ups)`);
    expect(heard.some((e) => e.service === hot && e.reason === "scaled" && e.to === 3)).toBe(true);

    // What the operator sees.
    const status = await getJson<{ leader: boolean; services: { service: string; valid: boolean; replicas: number; desired: number; policy: { max: number } }[] }>(`${collector.url}/api/v1/autoscale`);
    expect(status.leader).toBe(true);
    expect(status.services.find((s) => s.service === hot)).toMatchObject({ valid: true, policy: { max: 3 } });
    expect(status.services.some((s) => s.service === plain)).toBe(false);
    const events = await getJson<{ events: EventView[] }>(`${collector.url}/api/v1/autoscale/events?service=${hot}&reason=scaled`);
    expect(events.events.filter((e) => e.direction === "up").map((e) => e.to)).toContain(3);
    expect((await getJson<{ events: EventView[] }>(`${collector.url}/api/v1/autoscale/events?service=${plain}`)).events).toEqual([]);
    const metrics = await (await fetch(`${collector.url}/metrics`)).text();
    const scaledUp = metrics.split("\n").find((l) => l.startsWith("vigie_autoscale_events_total{") && l.includes(`service="${hot}"`) && l.includes('direction="up"') && l.includes('reason="scaled"'));
    expect(Number(scaledUp?.split(" ").pop())).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(new RegExp(`^vigie_autoscale_desired_replicas\\{service="${hot}"\\} 3$`, "m"));
    expect(metrics).toMatch(/^vigie_autoscale_leader 1$/m);
    expect(metrics.split("\n").filter((l) => l.startsWith("vigie_autoscale_") && l.includes(`service="${plain}"`))).toEqual([]);

    // The load stops: back to the minimum once the stabilization window holds no higher recommendation.
    unlinkSync(path.join(ctl, "burn"));
    const stopped = Date.now();
    const down = await waitFor("a scale-down to 1", () => scaled(hot, "down").find((e) => e.to === 1), 120_000, 250);
    timings.push(`scale-down ${down.from}→${down.to}: ${down.time - stopped} ms after the load stopped (stabilization window 10 s)`);
    await waitFor("the service at 1 replica", async () => (await inspect(hot)).Spec.Mode.Replicated.Replicas === 1, 30_000, 250);

    // The unlabelled service burned the same CPU all along and was never touched.
    const plainNow = await inspect(plain);
    expect(plainNow.Spec.Mode.Replicated.Replicas).toBe(1);
    expect(plainNow.Version.Index).toBe(plainVersion);
    expect(autoscale.audit.list({ service: plain })).toEqual([]);

    // The numbers come from the agent through the model: without the agent the autoscaler has none.
    await agent?.stop();
    agent = undefined;
    const silent = Date.now();
    const missing = await waitFor("a decision held for missing metrics", () => autoscale.audit.list({ service: hot, reason: "missing_metrics", since: silent })[0], 30_000, 200);
    timings.push(`held for missing metrics ${missing.lastTime - silent} ms after the agent stopped`);
    expect(await inspect(hot)).toMatchObject({ Spec: { Mode: { Replicated: { Replicas: 1 } } } });
  });
});
