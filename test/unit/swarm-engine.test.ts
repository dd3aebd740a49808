import { describe, expect, it } from "vitest";
import { loadConfig } from "../../cli/config/load.js";
import { collectorOptions } from "../../cli/options.js";
import { DEFAULT_DOCKER_SOCKET, describeEngine, swarmDocker, swarmEngine } from "../../collector/swarm/engine.js";
import { testLog } from "../support/log.js";

const socketThere = (p: string) => p === DEFAULT_DOCKER_SOCKET;
const nothingThere = () => false;

describe("swarmEngine: which engine the collector's Swarm view asks", () => {
  it("follows DOCKER_HOST before the default socket, unix:// and tcp:// alike", () => {
    expect(swarmEngine({}, { DOCKER_HOST: "tcp://10.0.0.5:2376" }, socketThere)).toEqual({ kind: "docker_host", host: "tcp://10.0.0.5:2376" });
    expect(swarmEngine({ enabled: "auto" }, { DOCKER_HOST: "unix:///run/user/1000/docker.sock" }, nothingThere)).toEqual({ kind: "docker_host", host: "unix:///run/user/1000/docker.sock" });
  });

  it("auto: on with the default socket when it exists, off without it", () => {
    expect(swarmEngine({}, {}, socketThere)).toEqual({ kind: "socket", path: DEFAULT_DOCKER_SOCKET });
    expect(swarmEngine({ enabled: "auto" }, { DOCKER_HOST: "  " }, nothingThere)).toBeUndefined();
  });

  it("false turns the view off whatever is there; true keeps it on (the watcher reports an absent engine)", () => {
    expect(swarmEngine({ enabled: false }, { DOCKER_HOST: "tcp://10.0.0.5:2375" }, socketThere)).toBeUndefined();
    expect(swarmEngine({ enabled: true }, {}, nothingThere)).toEqual({ kind: "socket", path: DEFAULT_DOCKER_SOCKET });
  });

  it("an explicit socket path wins over DOCKER_HOST", () => {
    expect(swarmEngine({ socketPath: "/tmp/d.sock" }, { DOCKER_HOST: "tcp://h:2375" }, (p) => p === "/tmp/d.sock")).toEqual({ kind: "socket", path: "/tmp/d.sock" });
    expect(swarmEngine({ socketPath: "/tmp/d.sock" }, {}, nothingThere)).toBeUndefined();
  });

  it("names the engine in the log without credentials, and refuses a DOCKER_HOST docker-modem cannot read", () => {
    expect(describeEngine({ kind: "docker_host", host: "tcp://user:pw@h:2376" })).toBe("tcp://h:2376");
    expect(describeEngine({ kind: "socket", path: "/var/run/docker.sock" })).toBe("unix:///var/run/docker.sock");
    const saved = process.env.DOCKER_HOST;
    process.env.DOCKER_HOST = "tcp://[not a host";
    try {
      expect(() => swarmDocker({ kind: "docker_host", host: "tcp://[not a host" })).toThrow(/DOCKER_HOST = "tcp:\/\/\[not a host": .*tcp:\/\/localhost/);
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST;
      else process.env.DOCKER_HOST = saved;
    }
  });
});

describe("collector.swarm.enabled", () => {
  it("defaults to auto and takes true, false and auto from the environment", () => {
    expect(collectorOptions(loadConfig({ env: {} }), testLog).swarm).toEqual({ enabled: "auto" });
    expect(collectorOptions(loadConfig({ env: { VIGIE_COLLECTOR_SWARM_ENABLED: "false" } }), testLog).swarm).toEqual({ enabled: false });
    expect(collectorOptions(loadConfig({ env: { VIGIE_COLLECTOR_SWARM_ENABLED: "true" } }), testLog).swarm).toEqual({ enabled: true });
    expect(() => loadConfig({ env: { VIGIE_COLLECTOR_SWARM_ENABLED: "maybe" } })).toThrow(/collector\.swarm\.enabled/);
  });
});
