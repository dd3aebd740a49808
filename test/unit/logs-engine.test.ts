import { PassThrough, type Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { DockerEngine, type DockerApi, type ListedContainer, type ServiceInfo } from "../../agent/containers/engine.js";
import type { InspectInfo } from "../../agent/containers/metadata.js";
import { engineLogPorts } from "../../agent/logs/index.js";

const NODE = { "host.name": "node-a", "node.id": "n1" };
const A = "a".repeat(64);
const B = "b".repeat(64);

/** An engine that answers from memory and counts what it was asked, or refuses like a missing socket. */
class FakeApi implements DockerApi {
  down = false;
  calls: string[] = [];
  listed: ListedContainer[] = [
    { Id: A, Labels: { "com.docker.swarm.service.id": "svc1", "vigie.logs": "true" } },
    { Id: B, Labels: {} },
  ];

  private ask(what: string): void {
    if (this.down) throw Object.assign(new Error("connect ENOENT /var/run/docker.sock"), { code: "ENOENT" });
    this.calls.push(what);
  }
  listContainers = async () => {
    this.ask("list");
    return this.listed;
  };
  inspect = async (id: string): Promise<InspectInfo> => {
    this.ask(`inspect ${id.slice(0, 1)}`);
    return id === A
      ? {
          Id: A,
          Name: "/shop_api.1.t1",
          LogPath: `/var/lib/docker/containers/${A}/${A}-json.log`,
          Config: { Image: "shop/api:1@sha256:00", Labels: { "com.docker.swarm.service.name": "shop_api", "com.docker.stack.namespace": "shop" } },
          HostConfig: { LogConfig: { Type: "json-file" } },
        }
      : { Id: B, Name: "/tty", LogPath: "", Config: { Image: "busybox", Tty: true }, HostConfig: { LogConfig: { Type: "local" } } };
  };
  events = async () => new PassThrough();
  info = async () => ({});
  service = async (id: string): Promise<ServiceInfo | undefined> => {
    this.ask(`service ${id}`);
    return { Spec: { Labels: { "vigie.logs": "false", "vigie.check.path": "/health", other: "x" } } };
  };
  logs = async (id: string, since: string | undefined): Promise<Readable> => {
    this.ask(`logs ${id.slice(0, 1)} ${since ?? "-"}`);
    return new PassThrough();
  };
}

describe("the log source's ports on the agent's one engine port", () => {
  it("lists containers with their log driver, LogPath, TTY and resource, inspecting each once, with the service's vigie labels under their own", async () => {
    const api = new FakeApi();
    const { lister } = engineLogPorts({ engine: new DockerEngine(api), resource: NODE });
    const first = await lister();
    expect(first).toHaveLength(2);
    expect(first[0]).toMatchObject({
      id: A,
      name: "shop_api.1.t1",
      logDriver: "json-file",
      logPath: `/var/lib/docker/containers/${A}/${A}-json.log`,
      tty: false,
      // The container's own label wins over its service's.
      labels: { "vigie.logs": "true", "vigie.check.path": "/health" },
      resource: { ...NODE, "container.id": A, "service.name": "api", "service.namespace": "shop", "container.image.name": "shop/api:1" },
    });
    expect(first[0]?.labels.other).toBeUndefined();
    expect(first[1]).toMatchObject({ id: B, name: "tty", logDriver: "local", logPath: "", tty: true });
    await lister();
    expect(api.calls.filter((c) => c.startsWith("inspect"))).toEqual(["inspect a", "inspect b"]);
    expect(api.calls.filter((c) => c.startsWith("service"))).toEqual(["service svc1"]);
  });

  it("opens a container's log stream through the engine port, since the checkpoint's time", async () => {
    const api = new FakeApi();
    const { openStream } = engineLogPorts({ engine: new DockerEngine(api), resource: NODE });
    await openStream(A, "1796226331.000000001", new AbortController().signal);
    expect(api.calls).toEqual([`logs a 1796226331.000000001`]);
  });

  it("shares the port's circuit breaker: once the engine is gone, neither listing nor a stream asks it until the wait is over", async () => {
    const api = new FakeApi();
    const engine = new DockerEngine(api, { retryInitialMs: 60_000, retryMaxMs: 60_000 });
    const { lister, openStream } = engineLogPorts({ engine, resource: NODE });
    api.down = true;
    await expect(lister()).rejects.toThrow(/ENOENT/);
    expect(engine.up).toBe(false);
    api.down = false;
    await expect(lister()).rejects.toThrow(/did not answer/);
    await expect(openStream(A, undefined, new AbortController().signal)).rejects.toThrow(/did not answer/);
    expect(api.calls).toEqual([]);
  });
});
