import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { Event, Kind } from "../../protocol/index.js";
import { ContainerSource, DockerEngine } from "../../agent/containers/index.js";
import type { DockerApi, ListedContainer } from "../../agent/containers/engine.js";
import type { Emitter, PayloadOf } from "../../agent/source.js";
import type { InspectInfo } from "../../agent/containers/metadata.js";

const ROOT = path.resolve(import.meta.dirname, "../fixtures/cgroup/v2-systemd");
const [ID, PID] = readFileSync(path.join(ROOT, "CONTAINER"), "utf8").trim().split(" ") as [string, string];
const BASE = { "host.name": "node-a", "node.id": "n1" };

/** An engine that answers from memory, or refuses like a missing socket. */
class FakeEngine implements DockerApi {
  down = false;
  listed: ListedContainer[] = [{ Id: ID, State: "running", Status: "Up 1 minute (healthy)" }];
  inspects = 0;
  lists = 0;
  streams: PassThrough[] = [];
  sinces: (string | undefined)[] = [];

  private refuse(): Error {
    return Object.assign(new Error("connect ENOENT /var/run/docker.sock"), { code: "ENOENT" });
  }
  listContainers = async () => {
    if (this.down) throw this.refuse();
    this.lists++;
    return this.listed;
  };
  inspect = async (id: string): Promise<InspectInfo> => {
    if (this.down) throw this.refuse();
    this.inspects++;
    return {
      Id: id,
      Name: "/shop_api.1.t1",
      Config: { Image: "shop/api:1", Labels: { "com.docker.swarm.service.name": "shop_api", "com.docker.stack.namespace": "shop", "com.docker.swarm.task.name": "shop_api.1.t1" } },
      HostConfig: { NetworkMode: "default" },
      State: { Status: "running", Pid: Number(PID), StartedAt: "2026-11-27T10:00:00Z", Health: { Status: "starting" } },
    };
  };
  events = async (_signal: AbortSignal, since?: string) => {
    if (this.down) throw this.refuse();
    this.sinces.push(since);
    const s = new PassThrough();
    this.streams.push(s);
    return s;
  };
  info = async () => ({ Name: "node-a" });
}

const silent = pino({ level: "silent" });
let source: ContainerSource | undefined;
let docker: DockerEngine | undefined;
afterEach(async () => {
  await source?.stop();
  source = undefined;
});

/** An emitter that keeps the events it is handed. */
function collect(events: Event[]): Emitter {
  return {
    emit: async <K extends Kind>(kind: K, payload: PayloadOf<K>) => {
      if (kind === "events") events.push(...(payload as PayloadOf<"events">).events);
    },
  };
}

function make(engine: FakeEngine, options: { listEveryCycles?: number; hostRoot?: string } = {}) {
  docker = new DockerEngine(engine, { retryInitialMs: 5, retryMaxMs: 20 });
  source = new ContainerSource({ engine: docker, hostRoot: options.hostRoot ?? ROOT, resource: BASE, log: silent, eventBatchMs: 1, retryInitialMs: 5, retryMaxMs: 20, now: () => 1_000, listEveryCycles: options.listEveryCycles });
  return source;
}

const until = async (what: string, ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!ok()) throw new Error(`never happened: ${what}`);
};

describe("ContainerSource", () => {
  it("samples a listed container from its cgroup files, with its Swarm resource, inspecting it only once", async () => {
    const engine = new FakeEngine();
    const s = make(engine);
    const [first] = await s.sample();
    const [second] = await s.sample();
    expect(engine.inspects).toBe(1);
    expect(first?.metrics.find((m) => m.name === "vigie.container.health")?.points[0]?.attributes).toEqual({ "container.health.status": "starting" });
    expect(first?.resource).toMatchObject({ ...BASE, "container.id": ID, "service.name": "api", "service.namespace": "shop", "docker.swarm.task.slot": 1 });
    const byName = new Map(first!.metrics.map((m) => [m.name, m]));
    expect(byName.get("container.cpu.time")?.points).toEqual([
      { attributes: { "cpu.mode": "user" }, value: 6.012 },
      { attributes: { "cpu.mode": "system" }, value: 1.511412 },
    ]);
    expect(byName.get("vigie.container.memory.limit")?.points[0]?.value).toBe(268435456);
    // The list's status column refreshes the health between inspects.
    expect(second?.metrics.find((m) => m.name === "vigie.container.health")?.points[0]?.attributes).toEqual({ "container.health.status": "healthy" });
    expect(byName.get("container.network.io")?.points.length).toBe(2);
    expect(byName.get("vigie.container.start_time")?.points[0]?.value).toBe(Date.parse("2026-11-27T10:00:00Z") / 1000);
  });

  it("leaves out a container the engine no longer lists on the next cycle", async () => {
    const engine = new FakeEngine();
    const s = make(engine);
    expect(await s.sample()).toHaveLength(1);
    engine.listed = [];
    expect(await s.sample()).toHaveLength(0);
  });

  it("says docker_down once while the engine is gone, samples nothing, and docker_up when it is back", async () => {
    const engine = new FakeEngine();
    const events: Event[] = [];
    const s = make(engine);
    expect(await s.sample()).toHaveLength(1);
    expect(docker?.up).toBe(true);
    engine.down = true;
    expect(await s.sample()).toHaveLength(0);
    expect(await s.sample()).toHaveLength(0);
    expect(docker?.up).toBe(false);
    s.start(collect(events)); // what was seen before start is handed over then
    await until("the docker_down event", () => events.some((e) => e.action === "docker_down"));
    expect(events.filter((e) => e.action === "docker_down")).toHaveLength(1);
    expect(events.find((e) => e.action === "docker_down")?.resource).toEqual(BASE);
    engine.down = false;
    await new Promise((r) => setTimeout(r, 30)); // past the breaker's wait
    expect(await s.sample()).toHaveLength(1);
    expect(docker?.up).toBe(true);
    await until("the docker_up event", () => events.some((e) => e.action === "docker_up"));
    expect(engine.inspects).toBe(2); // everything is looked at afresh after an outage
  });

  it("forwards container events as they arrive and forgets a container that died", async () => {
    const engine = new FakeEngine();
    const events: Event[] = [];
    const s = make(engine);
    await s.sample();
    s.start(collect(events));
    await until("the events stream", () => engine.streams.length === 1);
    const line = (Action: string, attrs: Record<string, string> = {}) =>
      JSON.stringify({ Type: "container", Action, Actor: { ID, Attributes: { name: "shop_api.1.t1", image: "shop/api:1", ...attrs } }, timeNano: 1764237600000000000 }) + "\n";
    // Two events in one chunk, and one split over two chunks.
    engine.streams[0]!.write(line("health_status: unhealthy") + line("exec_start: true"));
    const die = line("die", { exitCode: "1" });
    engine.streams[0]!.write(die.slice(0, 10));
    engine.streams[0]!.write(die.slice(10));
    await until("two events", () => events.length >= 2);
    expect(events.map((e) => e.action)).toEqual(["health_status", "die"]);
    expect(events[1]?.attributes).toEqual({ "container.exit_code": 1 });
    await s.sample();
    expect(engine.inspects).toBe(2);
  });

  it("reconnects the events stream after it ends", async () => {
    const engine = new FakeEngine();
    const s = make(engine);
    s.start(collect([]));
    await until("the first stream", () => engine.streams.length === 1);
    engine.streams[0]!.end();
    await until("a second stream", () => engine.streams.length === 2);
  });

  it("takes the events stream up again from the last event seen, forwarding replayed events once", async () => {
    const engine = new FakeEngine();
    const events: Event[] = [];
    const s = make(engine);
    s.start(collect(events));
    await until("the first stream", () => engine.streams.length === 1);
    expect(engine.sinces[0]).toBeUndefined();
    const line = (Action: string, timeNano: number) => JSON.stringify({ Type: "container", Action, Actor: { ID, Attributes: { name: "x" } }, timeNano }) + "\n";
    engine.streams[0]!.write(line("health_status: healthy", 1764237600_000_000_000));
    await until("one event", () => events.length === 1);
    engine.streams[0]!.end();
    await until("a second stream", () => engine.streams.length === 2);
    // Asked from a little before the last event; the engine replays it, then what is new.
    expect(engine.sinces[1]).toBe("1764237599.999999000");
    engine.streams[1]!.write(line("health_status: healthy", 1764237600_000_000_000) + line("die", 1764237601_000_000_000));
    await until("the die event", () => events.some((e) => e.action === "die"));
    expect(events.map((e) => e.action)).toEqual(["health_status", "die"]);
  });

  it("keeps the set current from events while the stream is up, asking for the list only every few cycles", async () => {
    const engine = new FakeEngine();
    engine.listed = [];
    const events: Event[] = [];
    const s = make(engine, { listEveryCycles: 3 });
    s.start(collect(events));
    await until("the events stream", () => engine.streams.length === 1);
    expect(await s.sample()).toHaveLength(0); // the first cycle after connecting lists
    expect(engine.lists).toBe(1);
    engine.streams[0]!.write(JSON.stringify({ Type: "container", Action: "start", Actor: { ID, Attributes: { name: "shop_api.1.t1" } }, timeNano: 1 }) + "\n");
    await until("the start event", () => events.length === 1);
    expect(await s.sample()).toHaveLength(1); // known from the event, inspected, without a list
    expect(engine.lists).toBe(1);
    await s.sample();
    expect(engine.lists).toBe(1);
    await s.sample();
    expect(engine.lists).toBe(2); // the safety-net list, three cycles after the first
  });
  it("reads the OOM kill count after an oom event and with each list, and carries it over in between", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "vigie-oom-"));
    try {
      cpSync(ROOT, root, { recursive: true });
      const eventsFile = path.join(root, "sys/fs/cgroup/system.slice", `docker-${ID}.scope`, "memory.events");
      const engine = new FakeEngine();
      const events: Event[] = [];
      const s = make(engine, { listEveryCycles: 3, hostRoot: root });
      s.start(collect(events));
      await until("the events stream", () => engine.streams.length === 1);
      const oomKills = async () => (await s.sample())[0]?.metrics.find((m) => m.name === "vigie.container.oom_kills")?.points[0]?.value;
      expect(await oomKills()).toBe(2); // listed: read
      writeFileSync(eventsFile, "low 0\nhigh 0\nmax 9\noom 3\noom_kill 3\n");
      expect(await oomKills()).toBe(2); // no event, no list: the last count
      engine.streams[0]!.write(JSON.stringify({ Type: "container", Action: "oom", Actor: { ID, Attributes: {} }, timeNano: 5 }) + "\n");
      await until("the oom event", () => events.some((e) => e.action === "oom"));
      expect(await oomKills()).toBe(3); // read after the event
      writeFileSync(eventsFile, "oom_kill 4\n");
      expect(await oomKills()).toBe(4); // the safety-net list, three cycles after the first
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("says with each sample whether it holds every running container", async () => {
    const engine = new FakeEngine();
    const s = make(engine);
    expect((await s.sample()).containersComplete).toBe(true);
    engine.down = true;
    expect((await s.sample()).containersComplete).toBe(false);
  });

  it("keeps events the emitter refuses, in order, and hands them over at the next try", async () => {
    const engine = new FakeEngine();
    const events: Event[] = [];
    let refuse = true;
    const s = make(engine);
    s.start({
      emit: async <K extends Kind>(kind: K, payload: PayloadOf<K>) => {
        if (refuse) throw new Error("ENOSPC: no space left on device");
        if (kind === "events") events.push(...(payload as PayloadOf<"events">).events);
      },
    });
    await until("the events stream", () => engine.streams.length === 1);
    const line = (Action: string, timeNano: number) => JSON.stringify({ Type: "container", Action, Actor: { ID, Attributes: { name: "x" } }, timeNano }) + "\n";
    engine.streams[0]!.write(line("die", 1));
    await until("the refusal", () => s.stats.eventsRefused === 1);
    refuse = false;
    engine.streams[0]!.write(line("destroy", 2));
    await until("both events", () => events.length === 2);
    expect(events.map((e) => e.action)).toEqual(["die", "destroy"]);
  });

  it("hands over the events still gathered when stopped", async () => {
    const engine = new FakeEngine();
    const events: Event[] = [];
    docker = new DockerEngine(engine);
    const s = new ContainerSource({ engine: docker, hostRoot: ROOT, resource: BASE, log: silent, eventBatchMs: 60_000 });
    s.start(collect(events));
    await until("the events stream", () => engine.streams.length === 1);
    engine.streams[0]!.write(JSON.stringify({ Type: "container", Action: "die", Actor: { ID, Attributes: { name: "x" } }, timeNano: 7 }) + "\n");
    await new Promise((r) => setTimeout(r, 20));
    expect(events).toEqual([]); // still gathered: the batch waits a minute
    await s.stop();
    expect(events.map((e) => e.action)).toEqual(["die"]);
  });
});
