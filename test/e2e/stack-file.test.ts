// deploy/stack.yml and the configuration it ships, checked without deploying them: the stack as
// `docker stack config` reads it, the agent's and the collector's settings as Vigie loads them,
// Prometheus' and Alertmanager's files as their own tools read them.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { loadConfig } from "../../cli/config/load.js";
import { productionCollectorConfig, ROOT, sh, STACK_FILE, type ComposeFile } from "./test-stack.js";

describe("deploy/stack.yml", () => {
  it("is a valid stack file: global agent with the host mounted read-only, collector on a manager, images overridable", async () => {
    const out = await sh("docker", ["stack", "config", "-c", STACK_FILE], { env: { ...process.env, VIGIE_IMAGE: "registry.example/vigie:1.2.3" } });
    const stack = parseYaml(out) as ComposeFile;
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
    // The collector's configuration file is a Swarm config at the path VIGIE_CONFIG names.
    const config = productionCollectorConfig();
    expect(collector!.environment?.VIGIE_CONFIG).toBe(config.target);
    expect(collector!.configs).toContainEqual(expect.objectContaining({ source: config.source, target: config.target }));
    expect(path.resolve(path.dirname(STACK_FILE), stack.configs?.[config.source]?.file ?? "")).toBe(config.file);
    expect(nats!.image).toBe("nats:2.10-alpine");
    // NATS starts through a shell that exports its passwords from the secrets first.
    expect(nats!.command?.join(" ")).toMatch(/exec nats-server -c \S+ --jetstream/);
  });

  it("sets only configuration keys Vigie knows, with valid values, in the agent and the collector", async () => {
    const out = await sh("docker", ["stack", "config", "-c", STACK_FILE]);
    const stack = parseYaml(out) as ComposeFile;
    for (const name of ["agent", "collector"]) {
      // The node templates are filled in by Swarm; give them values of the same shape.
      const env = Object.fromEntries(
        Object.entries(stack.services[name]!.environment ?? {}).map(([k, v]) => [k, v.replace("{{.Node.ID}}", "quu3t0lwju7c4p925009mx5hv").replace("{{.Node.Hostname}}", "node-1")]),
      );
      const file = name === "collector" ? productionCollectorConfig().file : undefined;
      const config = loadConfig({ file, env: { ...env, VIGIE_DATA_DIR: "/var/lib/vigie" } });
      expect(config.nats.url).toBe("nats://nats:4222");
      expect(config.nats).toMatchObject({ user: name, passwordFile: `/run/secrets/vigie_nats_${name}_password` });
      if (name === "agent") expect(config.agent).toMatchObject({ hostRoot: "/host", listen: "0.0.0.0:9481" });
      else expect(config.api).toMatchObject({ listen: "0.0.0.0:9480", tokensFile: "/run/secrets/vigie_api_tokens" });
    }
  });

  it("ships a collector configuration that sends every alert to the stack's Alertmanager, within its resolve timeout", () => {
    const config = loadConfig({ file: productionCollectorConfig().file, env: {} });
    expect(config.alerts.receivers).toEqual([{ name: "alertmanager", alertmanager: { url: "http://alertmanager:9093" } }]);
    expect(config.alerts.route).toMatchObject({ receiver: "alertmanager" });
    // Alertmanager forgets a firing alert not sent again within its resolve_timeout (5m by default).
    expect(config.alerts.route?.repeatInterval).toBe("4m");
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
