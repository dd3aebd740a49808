import { readFileSync } from "node:fs";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContainerSource, DockerEngine, dockerApi } from "../../agent/containers/index.js";
import { recordingEmitter } from "../support/emitter.js";
import { swarmIdentity } from "../../agent/identity/swarm.js";
import type { Event, ResourceMetrics } from "../../protocol/index.js";
import { createService, ensureDocker, removeContainer, removeService, runContainer, uniqueName } from "../support/docker.js";
import { testLog } from "../support/log.js";
import { waitFor } from "../support/wait.js";

/** utime + stime of a process, in seconds (from /proc/<pid>/stat, 10 ms ticks). */
const processCpuSeconds = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
};
/** Idle + iowait seconds of all CPUs of the host. */
const hostIdleSeconds = () => {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.split(/\s+/);
  return (Number(f[4]) + Number(f[5])) / 100;
};

const BASE = { "host.name": "containers-test-host", "node.id": "containers-test-node" };

const value = (rm: ResourceMetrics | undefined, name: string, attrs: Record<string, string> = {}) =>
  rm?.metrics
    .find((m) => m.name === name)
    ?.points.find((p) => Object.entries(attrs).every(([k, v]) => p.attributes?.[k] === v))?.value;

describe("containers on the real engine (swarm mode, cgroup files)", () => {
  let docker: Docker;
  let source: ContainerSource;
  const emitter = recordingEmitter();
  const events: Event[] = emitter.events;
  const containers: string[] = [];
  const services: string[] = [];

  const sampleOf = async (id: string) => (await source.sample()).find((r) => r.resource["container.id"] === id);
  const eventFor = (id: string, action: string) => events.find((e) => e.resource["container.id"] === id && e.action === action);

  beforeAll(async () => {
    docker = await ensureDocker();
    source = new ContainerSource({ engine: new DockerEngine(dockerApi()), hostRoot: "/", resource: BASE, log: testLog });
    source.start(emitter);
  });

  afterAll(async () => {
    await source?.stop();
    for (const s of services) await removeService(docker, s);
    for (const c of containers) await removeContainer(docker, c);
  });

  it("reads the Swarm node id and the engine's hostname", async () => {
    const info = (await docker.info()) as { Swarm: { NodeID: string }; Name: string };
    expect(await swarmIdentity(dockerApi())).toEqual({ nodeId: info.Swarm.NodeID, hostname: info.Name });
  });

  it("shows a replicated stack service's tasks with service name, namespace, slot and node", async () => {
    const stack = uniqueName("stack").replace(/-/g, "");
    const name = `${stack}_web`;
    services.push(name);
    await createService(docker, { name, cmd: ["sleep", "3600"], replicas: 2, containerLabels: { "com.docker.stack.namespace": stack } });
    const nodeId = ((await docker.info()) as { Swarm: { NodeID: string } }).Swarm.NodeID;
    const tasks = await waitFor(
      "two running tasks in a sample",
      async () => {
        const found = (await source.sample()).filter((r) => r.resource["docker.swarm.service.name"] === name);
        return found.length === 2 ? found : undefined;
      },
      60_000,
      250,
    );
    expect(tasks.map((t) => t.resource["docker.swarm.task.slot"]).sort()).toEqual([1, 2]);
    for (const t of tasks) {
      expect(t.resource).toMatchObject({ ...BASE, "service.name": "web", "service.namespace": stack, "docker.swarm.node.id": nodeId, "container.image.name": "vigie-test/busybox:1" });
      expect(t.resource["docker.swarm.task.id"]).toMatch(/^\w{25}$/);
      expect(value(t, "vigie.container.pids")).toBeGreaterThanOrEqual(1);
    }
  });

  it("shows a container burning CPU using at least half a core (two samples apart), as the kernel accounts its process", async () => {
    const { id, name, container } = await runContainer(docker, { cmd: ["sh", "-c", "while :; do :; done"] });
    containers.push(name);
    const pid = ((await container.inspect()) as { State: { Pid: number } }).State.Pid;
    const first = await waitFor("the burner in a sample", () => sampleOf(id), 10_000, 100);
    const proc0 = processCpuSeconds(pid);
    const idle0 = hostIdleSeconds();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 2000));
    const second = await sampleOf(id);
    const proc1 = processCpuSeconds(pid);
    const idle1 = hostIdleSeconds();
    const elapsed = (performance.now() - t0) / 1000;
    const used = (value(second, "vigie.container.cpu.total_time") ?? 0) - (value(first, "vigie.container.cpu.total_time") ?? 0);
    // The cgroup's account agrees with the kernel's per-process one (10 ms ticks) for its only process.
    expect(Math.abs(used - (proc1 - proc0))).toBeLessThanOrEqual(0.1 * (proc1 - proc0) + 0.05);
    // A busy loop takes at least half a core, unless other work left no CPU free on this shared
    // machine (then the scheduler, not Vigie, decides, and the host shows no idle time).
    const idleCores = (idle1 - idle0) / elapsed;
    if (idleCores > 0.2) expect(used / elapsed).toBeGreaterThanOrEqual(0.5);
    else expect(used / elapsed).toBeGreaterThan(0.1);
    const user = (value(second, "container.cpu.time", { "cpu.mode": "user" }) ?? 0) - (value(first, "container.cpu.time", { "cpu.mode": "user" }) ?? 0);
    expect(user).toBeGreaterThan(used / 2);
    // Host networking: the host's traffic is not the container's.
    expect(second?.metrics.find((m) => m.name === "container.network.io")).toBeUndefined();
  });

  it("reports a container's memory limit, usage and working set", async () => {
    const { id, name } = await runContainer(docker, { cmd: ["sleep", "3600"], memoryBytes: 32 * 1024 * 1024, network: "none" });
    containers.push(name);
    const s = await waitFor("the limited container in a sample", () => sampleOf(id), 10_000, 100);
    expect(value(s, "vigie.container.memory.limit")).toBe(32 * 1024 * 1024);
    const usage = value(s, "container.memory.usage") ?? 0;
    expect(usage).toBeGreaterThan(0);
    expect(value(s, "container.memory.working_set")).toBeLessThanOrEqual(usage);
    expect(value(s, "vigie.container.state", { "container.state": "running" })).toBe(1);
    expect(value(s, "vigie.container.start_time")).toBeGreaterThan(Date.now() / 1000 - 120);
  });

  it("follows a container's health: health_status events and the health in its samples", async () => {
    const { id, name } = await runContainer(docker, { cmd: ["sh", "-c", "touch /tmp/ok; sleep 3600"], healthCmd: ["test", "-e", "/tmp/ok"], network: "none" });
    containers.push(name);
    const healthy = await waitFor("health_status: healthy", () => eventFor(id, "health_status"), 20_000);
    expect(healthy.attributes).toEqual({ "container.health.status": "healthy" });
    const s = await waitFor("healthy in a sample", async () => {
      const rm = await sampleOf(id);
      return value(rm, "vigie.container.health", { "container.health.status": "healthy" }) === 1 ? rm : undefined;
    }, 10_000, 100);
    expect(s.resource["container.name"]).toBe(name);
    await docker.getContainer(id).exec({ Cmd: ["rm", "/tmp/ok"] }).then((e) => e.start({ Detach: true }));
    await waitFor("health_status: unhealthy", () => events.find((e) => e.resource["container.id"] === id && e.attributes?.["container.health.status"] === "unhealthy"), 20_000);
    await waitFor("unhealthy in a sample", async () => value(await sampleOf(id), "vigie.container.health", { "container.health.status": "unhealthy" }) === 1, 10_000, 100);
  });

  it("publishes an oom event for a container killed by its memory limit", async () => {
    const { id, name } = await runContainer(docker, { cmd: ["sh", "-c", "x=a; while :; do x=$x$x; done"], memoryBytes: 8 * 1024 * 1024, network: "none" });
    containers.push(name);
    const oom = await waitFor("the oom event", () => eventFor(id, "oom"), 30_000);
    expect(oom.resource).toMatchObject({ ...BASE, "container.name": name });
    const die = await waitFor("the die event", () => eventFor(id, "die"), 10_000);
    expect(die.attributes?.["container.exit_code"]).toBe(137);
  });

  it("publishes die within 2 s of docker rm -f, and the container is gone from the next sample", async () => {
    const { id, name } = await runContainer(docker, { cmd: ["sleep", "3600"] });
    containers.push(name);
    await waitFor("the container in a sample", () => sampleOf(id), 10_000, 100);
    await waitFor("its start event", () => eventFor(id, "start"), 5_000);
    await removeContainer(docker, id);
    await waitFor("the die event within 2 s", () => eventFor(id, "die"), 2_000, 20);
    expect(await sampleOf(id)).toBeUndefined();
  });
});
