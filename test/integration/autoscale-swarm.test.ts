import { mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerActuator } from "../../collector/autoscale/actuator.js";
import { AuditTrail, type AutoscaleEvent } from "../../collector/autoscale/audit.js";
import { Autoscaler } from "../../collector/autoscale/autoscaler.js";
import { DockerServiceReader } from "../../collector/autoscale/docker-services.js";
import { DockerUsageReader } from "../../collector/autoscale/docker-usage.js";
import type { ServiceReader } from "../../collector/autoscale/ports.js";
import { JetStreamQueueReader } from "../../collector/autoscale/queue.js";
import { BUSYBOX, NODE_BASE, ensureDocker, removeService, uniqueName } from "../support/docker.js";
import { testLog } from "../support/log.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { waitFor } from "../support/wait.js";

const REPO = path.resolve(import.meta.dirname, "../..");

interface Inspected {
  Version: { Index: number };
  PreviousSpec?: unknown;
  Spec: { Mode: { Replicated: { Replicas: number } }; Labels?: Record<string, string> } & Record<string, unknown>;
  UpdateStatus?: { State?: string };
}

/**
 * The autoscaler against the real single-node swarm: services on the host network, CPU read
 * from the engine's stats, queues from a real nats-server, replicas changed by the real
 * actuator. Only the services this file creates are shown to the autoscaler.
 */
describe("autoscaler on the real swarm", () => {
  let docker: Docker;
  let ctl: string;
  const created: string[] = [];
  const timings: string[] = [];

  const inspect = async (name: string) => (await docker.getService(name).inspect()) as Inspected;
  const replicas = async (name: string) => (await inspect(name)).Spec.Mode.Replicated.Replicas;
  /** Only this file's services: other tests' services on the same engine are none of its business. */
  const mine = (reader: ServiceReader): ServiceReader => ({ services: async (signal) => (await reader.services(signal)).filter((s) => created.includes(s.name)) });

  async function create(spec: { name: string; replicas: number; labels?: Record<string, string>; cmd: string[]; image?: string; mounts?: { Source: string; Target: string }[]; env?: string[]; nanoCpus?: number; update?: Record<string, unknown> }) {
    created.push(spec.name);
    await docker.createService({
      Name: spec.name,
      Labels: { "vigie.test": "1", ...spec.labels },
      TaskTemplate: {
        ContainerSpec: {
          Image: spec.image ?? BUSYBOX,
          Command: spec.cmd,
          Env: spec.env,
          Mounts: spec.mounts?.map((m) => ({ Type: "bind", ReadOnly: true, ...m })),
        },
        Networks: [{ Target: "host" }],
        Resources: spec.nanoCpus ? { Limits: { NanoCPUs: spec.nanoCpus } } : undefined,
        RestartPolicy: { Condition: "none" },
      },
      Mode: { Replicated: { Replicas: spec.replicas } },
      ...(spec.update ? { UpdateConfig: spec.update } : {}),
    } as Docker.CreateServiceOptions);
  }

  beforeAll(async () => {
    docker = await ensureDocker({ images: ["busybox", "node-base"] });
    ctl = mkdtempSync(path.join(tmpdir(), "vigie-autoscale-"));
  });
  afterAll(async () => {
    for (const name of created) await removeService(docker, name).catch(() => {});
    rmSync(ctl, { recursive: true, force: true });
    if (timings.length > 0) console.log(`autoscaler decision times:\n  ${timings.join("\n  ")}`);
  });

  it("actuator: refuses a service without the label, retries on 'update out of sequence', refuses during an update", async () => {
    const actuator = new DockerActuator(docker);
    const plain = uniqueName("as-plain");
    await create({ name: plain, replicas: 1, cmd: ["sleep", "100000"] });
    const before = (await inspect(plain)).Version.Index;
    const refused = await actuator.scale(plain, 3);
    expect(refused).toMatchObject({ ok: false, reason: "not_opted_in" });
    expect((await inspect(plain)).Version.Index).toBe(before);

    // A real conflict: between the actuator's read and its write, someone else updates the service.
    const raced = uniqueName("as-raced");
    await create({ name: raced, replicas: 1, labels: { "vigie.autoscale.enabled": "true" }, cmd: ["sleep", "100000"] });
    let interfered = false;
    const racing = new Proxy(docker, {
      get(target, prop, receiver) {
        if (prop !== "getService") return Reflect.get(target, prop, receiver) as unknown;
        return (id: string) => {
          const real = target.getService(id);
          return Object.assign(Object.create(real) as Docker.Service, {
            inspect: async () => {
              const info = (await real.inspect()) as Inspected;
              if (!interfered) {
                interfered = true;
                // The other writer retries its own conflicts (a new service's version also moves when Swarm allocates it).
                for (let attempt = 0; ; attempt++) {
                  const fresh = (await real.inspect()) as Inspected;
                  try {
                    await real.update({ _query: { version: fresh.Version.Index }, _body: { ...fresh.Spec, Labels: { ...fresh.Spec.Labels, other: "writer" } } });
                    break;
                  } catch (err) {
                    if (attempt >= 5 || !/out of sequence/.test((err as Error).message)) throw err;
                  }
                }
              }
              // The actuator gets what it read before the other write: its update must then conflict.
              return info;
            },
          });
        };
      },
    });
    const result = await new DockerActuator(racing).scale(raced, 2);
    if (!result.ok) expect.fail(`actuator refused: ${result.reason}: ${result.message}`);
    expect(result).toMatchObject({ ok: true, from: 1, to: 2, attempts: 2 });
    const after = await inspect(raced);
    expect(after.Spec.Mode.Replicated.Replicas).toBe(2);
    expect(after.Spec.Labels?.other).toBe("writer");

    // An update that pauses between tasks stays "updating": the actuator must not start another.
    const updating = uniqueName("as-updating");
    await create({ name: updating, replicas: 2, labels: { "vigie.autoscale.enabled": "true" }, cmd: ["sleep", "100000"], update: { Parallelism: 1, Delay: 120e9 } });
    await waitFor("both tasks running", async () => (await docker.listTasks({ filters: { service: [updating], "desired-state": ["running"] } })).filter((t: { Status?: { State?: string } }) => t.Status?.State === "running").length === 2, 60_000, 250);
    const info = await inspect(updating);
    const spec = info.Spec as unknown as { TaskTemplate: { ContainerSpec: Record<string, unknown> } } & Record<string, unknown>;
    await docker.getService(updating).update({ _query: { version: info.Version.Index }, _body: { ...spec, TaskTemplate: { ...spec.TaskTemplate, ContainerSpec: { ...spec.TaskTemplate.ContainerSpec, Env: ["CHANGED=1"] } } } });
    await waitFor("the update in progress", async () => (await inspect(updating)).UpdateStatus?.State === "updating", 30_000, 200);
    const held = await actuator.scale(updating, 4);
    expect(held).toMatchObject({ ok: false, reason: "update_in_progress" });
    expect(await replicas(updating)).toBe(2);
  });

  it("scales a CPU-burning service up toward its max and back down after the stabilization window; min = max and unlabelled services never change", async () => {
    writeFileSync(path.join(ctl, "burn"), "1");
    // Burn while the control file exists, then idle: the load stops without touching the service.
    const burn = ["sh", "-c", "while [ -e /ctl/burn ]; do :; done; exec sleep 100000"];
    const mounts = [{ Source: ctl, Target: "/ctl" }];
    const hot = uniqueName("as-hot");
    const fixed = uniqueName("as-fixed");
    const plain = uniqueName("as-unlabelled");
    const policy = { "vigie.autoscale.enabled": "true", "vigie.autoscale.target": "50%", "vigie.autoscale.cooldown.up": "0s", "vigie.autoscale.cooldown.down": "0s", "vigie.autoscale.stabilization": "10s" };
    // Each task limited to 0.1 core: a busy loop is 100 % of its limit, twice the 50 % target.
    const createdAt = Date.now();
    await create({ name: hot, replicas: 1, labels: { ...policy, "vigie.autoscale.min": "1", "vigie.autoscale.max": "4" }, cmd: burn, mounts, nanoCpus: 1e8 });
    await create({ name: fixed, replicas: 2, labels: { ...policy, "vigie.autoscale.min": "2", "vigie.autoscale.max": "2" }, cmd: burn, mounts, nanoCpus: 1e8 });
    await create({ name: plain, replicas: 1, cmd: burn, mounts, nanoCpus: 1e8 });
    // The version index also moves when Swarm allocates a new service: what must not change is the spec.
    const untouched = async (name: string) => {
      const i = await inspect(name);
      return { spec: JSON.stringify(i.Spec), previous: i.PreviousSpec };
    };
    const plainBefore = await untouched(plain);
    const fixedBefore = await untouched(fixed);

    const audit = new AuditTrail();
    const scaledEvents: AutoscaleEvent[] = [];
    audit.subscribe((e) => {
      if (e.reason === "scaled") scaledEvents.push(e);
    });
    const autoscaler = new Autoscaler({
      services: mine(new DockerServiceReader(docker)),
      metrics: new DockerUsageReader(docker),
      actuator: new DockerActuator(docker),
      audit,
      intervalMs: 1_000,
      log: testLog,
      now: Date.now,
    });
    autoscaler.start();
    try {
      await waitFor("the hot service at its max of 4", async () => (await replicas(hot)) === 4, 120_000, 500);
      const ups = scaledEvents.filter((e) => e.service === hot && e.direction === "up");
      expect(ups.length).toBeGreaterThanOrEqual(1);
      expect(ups.every((e) => e.to <= 4 && e.to > e.from)).toBe(true);
      for (const e of ups) timings.push(`CPU scale-up ${e.from} → ${e.to}: ${((e.time - createdAt) / 1000).toFixed(1)} s after the burning service was created`);

      const stoppedAt = Date.now();
      rmSync(path.join(ctl, "burn"));
      await waitFor("the hot service back to 1", async () => (await replicas(hot)) === 1, 120_000, 500);
      const down = scaledEvents.filter((e) => e.service === hot && e.direction === "down");
      expect(down.length).toBeGreaterThanOrEqual(1);
      for (const e of down) timings.push(`CPU scale-down ${e.from} → ${e.to}: ${((e.time - stoppedAt) / 1000).toFixed(1)} s after the load stopped (stabilization window 10 s)`);
      // The window held it: decisions between the load stopping and the scale-down said so.
      const holds = audit.list({ service: hot, reason: "stabilization", limit: 1000 });
      expect(holds.some((h) => h.lastTime >= stoppedAt && h.time < (down[0] as AutoscaleEvent).time)).toBe(true);

      expect(await replicas(fixed)).toBe(2);
      expect(await untouched(fixed)).toEqual(fixedBefore);
      expect(fixedBefore.previous).toBeUndefined();
      expect(audit.list({ service: fixed, limit: 1000 }).every((e) => e.reason !== "scaled" && e.to === 2)).toBe(true);
      expect(await untouched(plain)).toEqual(plainBefore);
      expect(plainBefore.previous).toBeUndefined();
      expect(await replicas(plain)).toBe(1);
      expect(audit.list({ service: plain })).toEqual([]);
    } finally {
      await autoscaler.stop();
    }
  });

  describe("queue-based load leveling", () => {
    let nats: NatsServer;
    let nc: NatsConnection;
    let jsm: JetStreamManager;
    beforeAll(async () => {
      nats = await startNats();
      nc = await connect({ servers: nats.url });
      jsm = await jetstreamManager(nc);
    });
    afterAll(async () => {
      await nc?.close();
      await nats?.dispose();
    });

    it("scales a worker service up on its consumer's backlog, and down once the workers drained it", async () => {
      const stream = uniqueName("jobs").replace(/-/g, "_").toUpperCase();
      await jsm.streams.add({ name: stream, subjects: [`${stream}.>`] });
      await jsm.consumers.add(stream, { durable_name: "workers", ack_policy: AckPolicy.Explicit, max_ack_pending: 1000 });
      // A real worker: takes one message at a time, works 100 ms on it, acknowledges it.
      writeFileSync(
        path.join(ctl, "worker.mjs"),
        `import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
const nc = await connect({ servers: process.env.NATS_URL });
const consumer = await jetstream(nc).consumers.get(process.env.STREAM, "workers");
for (;;) {
  const m = await consumer.next({ expires: 1000 });
  if (!m) continue;
  await new Promise((r) => setTimeout(r, 100));
  m.ack();
}
`,
      );
      const worker = uniqueName("as-worker");
      await create({
        name: worker,
        replicas: 1,
        image: NODE_BASE,
        labels: {
          "vigie.autoscale.enabled": "true",
          "vigie.autoscale.min": "1",
          "vigie.autoscale.max": "5",
          "vigie.autoscale.metric": `nats:${stream}/workers`,
          "vigie.autoscale.target": "20",
          "vigie.autoscale.cooldown.up": "0s",
          "vigie.autoscale.cooldown.down": "0s",
          "vigie.autoscale.stabilization": "10s",
        },
        cmd: ["node", "/w/worker.mjs"],
        env: [`NATS_URL=${nats.url}`, `STREAM=${stream}`],
        mounts: [
          { Source: path.join(ctl, "worker.mjs"), Target: "/w/worker.mjs" },
          { Source: realpathSync(path.resolve(REPO, "node_modules")), Target: "/w/node_modules" },
        ],
      });
      const audit = new AuditTrail();
      const scaledEvents: AutoscaleEvent[] = [];
      audit.subscribe((e) => {
        if (e.reason === "scaled" && e.service === worker) scaledEvents.push(e);
      });
      const autoscaler = new Autoscaler({
        services: mine(new DockerServiceReader(docker)),
        metrics: new DockerUsageReader(docker),
        queues: new JetStreamQueueReader(jsm),
        actuator: new DockerActuator(docker),
        audit,
        intervalMs: 1_000,
        log: testLog,
        now: Date.now,
      });
      autoscaler.start();
      try {
        // The backlog: 600 jobs, 60 s of work for one worker, 12 s for five.
        const js = jetstream(nc);
        await Promise.all(Array.from({ length: 600 }, (_, i) => js.publish(`${stream}.job`, String(i))));
        const publishedAt = Date.now();
        await waitFor("the workers scaled up", async () => (await replicas(worker)) === 5, 60_000, 250);
        const up = scaledEvents.find((e) => e.direction === "up") as AutoscaleEvent;
        expect(up.inputs.pending).toBeGreaterThan(20);
        timings.push(`queue scale-up ${up.from} → ${up.to}: ${((up.time - publishedAt) / 1000).toFixed(1)} s after 600 jobs were published (pending ${String(up.inputs.pending)})`);

        const drainedAt = await waitFor(
          "the backlog drained by the workers",
          async () => {
            const info = await jsm.consumers.info(stream, "workers");
            return info.num_pending === 0 && info.num_ack_pending === 0 ? Date.now() : undefined;
          },
          90_000,
          250,
        );
        await waitFor("the workers scaled back down", async () => (await replicas(worker)) === 1, 60_000, 250);
        const down = scaledEvents.filter((e) => e.direction === "down");
        expect(down.length).toBeGreaterThanOrEqual(1);
        for (const e of down) timings.push(`queue scale-down ${e.from} → ${e.to}: ${((e.time - drainedAt) / 1000).toFixed(1)} s after the backlog was drained (stabilization window 10 s)`);
        expect((await jsm.consumers.info(stream, "workers")).num_pending).toBe(0);
      } finally {
        await autoscaler.stop();
        // Before the nats-server goes: the workers would exit with an error when it does.
        await removeService(docker, worker);
      }
    });
  });
});
