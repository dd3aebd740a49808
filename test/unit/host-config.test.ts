import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../cli/config/load.js";
import { agentOptions } from "../../cli/options.js";
import { testLog } from "../support/log.js";

describe("host sampling configuration", () => {
  it("takes the exclusions from VIGIE_AGENT_HOST_* variables into the agent's options", () => {
    const config = loadConfig({ env: { VIGIE_AGENT_HOST_NETWORK_INTERFACES_EXCLUDE: "^veth", VIGIE_AGENT_HOST_DISK_DEVICES_EXCLUDE: "" } });
    expect(agentOptions(config, testLog).host).toEqual({ networkInterfacesExclude: "^veth", diskDevicesExclude: "" });
  });

  it("leaves the defaults to the host source when nothing is set", () => {
    expect(agentOptions(loadConfig({ env: {} }), testLog).host).toEqual({});
  });

  it("rejects an invalid expression at load, naming the variable", () => {
    expect(() => loadConfig({ env: { VIGIE_AGENT_HOST_MOUNT_POINTS_EXCLUDE: "^(/dev" } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { VIGIE_AGENT_HOST_MOUNT_POINTS_EXCLUDE: "^(/dev" } })).toThrow(/VIGIE_AGENT_HOST_MOUNT_POINTS_EXCLUDE/);
  });
});
