import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, envName, loadConfig } from "../../cli/config/load.js";

const file = (text: string) => {
  const p = path.join(mkdtempSync(path.join(tmpdir(), "vigie-config-")), "vigie.yaml");
  writeFileSync(p, text);
  return p;
};

const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error("expected a ConfigError");
};

describe("configuration", () => {
  it("has the documented defaults", () => {
    const c = loadConfig({ env: {} });
    expect(c.interval).toBe(10_000);
    expect(c.api.listen).toBe("127.0.0.1:9480");
    expect(c.agent.listen).toBe("127.0.0.1:9481");
    expect(c.nats.url).toBe("nats://127.0.0.1:4222");
    expect(c.dataDir).toBe("./.vigie");
  });

  it("maps keys to VIGIE_* names", () => {
    expect(envName(["nats", "url"])).toBe("VIGIE_NATS_URL");
    expect(envName(["agent", "hostRoot"])).toBe("VIGIE_AGENT_HOST_ROOT");
    expect(envName(["nodeId"])).toBe("VIGIE_NODE_ID");
  });

  it("reads the YAML file, and lets the environment override it", () => {
    const f = file("interval: 30s\nnats:\n  url: nats://10.0.0.1:4222\nagent:\n  spoolMaxBytes: 64MiB\n");
    const c = loadConfig({ file: f, env: { VIGIE_INTERVAL: "2s", VIGIE_HOSTNAME: "node-a" } });
    expect(c.interval).toBe(2000);
    expect(c.nats.url).toBe("nats://10.0.0.1:4222");
    expect(c.agent.spoolMaxBytes).toBe(64 * 1024 * 1024);
    expect(c.hostname).toBe("node-a");
  });

  it("rejects an unknown key in the file, naming it", () => {
    const p = problems(() => loadConfig({ file: file("agent:\n  lisen: 127.0.0.1:1\n"), env: {} }));
    expect(p).toEqual([expect.stringMatching(/vigie\.yaml: agent\.lisen: unknown key/)]);
  });

  it("rejects a bad value, naming the variable, the key and the value", () => {
    const p = problems(() => loadConfig({ env: { VIGIE_INTERVAL: "soon", VIGIE_NATS_URL: "http://x" } }));
    expect(p).toContainEqual(expect.stringMatching(/^VIGIE_INTERVAL: interval = "soon": expected a duration/));
    expect(p).toContainEqual(expect.stringMatching(/^VIGIE_NATS_URL: nats\.url = "http:\/\/x"/));
  });

  it("rejects an unknown VIGIE_ variable", () => {
    const p = problems(() => loadConfig({ env: { VIGIE_NATS_URI: "nats://x:1" } }));
    expect(p[0]).toMatch(/^VIGIE_NATS_URI: unknown setting/);
  });

  it("reports a YAML syntax error with the file name", () => {
    const p = problems(() => loadConfig({ file: file("interval: [10s\n"), env: {} }));
    expect(p[0]).toMatch(/vigie\.yaml: not valid YAML/);
  });

  it("reports a missing file", () => {
    const p = problems(() => loadConfig({ file: "/nonexistent/vigie.yaml", env: {} }));
    expect(p[0]).toMatch(/cannot read config file \/nonexistent\/vigie\.yaml/);
  });
});
