import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../cli/config/load.js";
import { main } from "../../cli/main.js";
import { redactSecrets, redactUrl } from "../../lib/secrets.js";


describe("redactSecrets", () => {
  it("replaces values under secret keys, keeps references to where they are kept", () => {
    const out = redactSecrets({ api: { token: "s3cr3t-token-0123456789", tokensFile: "/run/secrets/tokens", metricsAuth: true }, smtp: { password: "hunter2", passwordFile: "/run/secrets/smtp" } });
    expect(out).toEqual({ api: { token: "<redacted>", tokensFile: "/run/secrets/tokens", metricsAuth: true }, smtp: { password: "<redacted>", passwordFile: "/run/secrets/smtp" } });
  });

  it("keeps a webhook URL's scheme and host, hides its path", () => {
    const out = redactSecrets({ slack: { url: "https://hooks.slack.com/services/T000/B000/XXXX" }, webhook: "https://example.test/hook/abc" });
    expect(JSON.stringify(out)).not.toMatch(/T000|XXXX|abc/);
    expect(out.webhook).toBe("https://example.test/<redacted>");
  });

  it("hides passwords and key-like query values in any URL", () => {
    expect(redactUrl("nats://vigie:pa55@nats.example:4222")).not.toContain("pa55");
    expect(redactUrl("https://x.example/api?key=abc123&region=eu")).toBe("https://x.example/api?key=redacted&region=eu");
    expect(redactUrl("not a url")).toBe("not a url");
  });
});

describe("configuration errors", () => {
  it("never echo a secret's value", () => {
    let problems: string[] = [];
    try {
      loadConfig({ env: { VIGIE_API_TOKEN: "short-secret" } });
    } catch (err) {
      if (err instanceof ConfigError) problems = err.problems;
    }
    expect(problems.join("\n")).toMatch(/api\.token/);
    expect(problems.join("\n")).not.toContain("short-secret");
  });
});

describe("vigie config check", () => {
  it("prints the configuration without the API token or a URL's password", async () => {
    const token = "a-long-admin-token-0123456789";
    const saved = { token: process.env.VIGIE_API_TOKEN, nats: process.env.VIGIE_NATS_URL };
    process.env.VIGIE_API_TOKEN = token;
    process.env.VIGIE_NATS_URL = "nats://u:natspass@127.0.0.1:4222";
    const lines: string[] = [];
    try {
      expect(await main(["config", "check"], (t) => lines.push(t))).toBe(0);
    } finally {
      for (const [k, v] of [["VIGIE_API_TOKEN", saved.token], ["VIGIE_NATS_URL", saved.nats]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    const stdout = lines.join("\n");
    expect(stdout).toContain('"token": "<redacted>"');
    expect(stdout).not.toContain(token);
    expect(stdout).not.toContain("natspass");
    expect(stdout).toContain("127.0.0.1:4222");
  });
});
