import { describe, expect, it } from "vitest";
import { loadConfig } from "../../cli/config/load.js";
import { agentOptions, collectorOptions } from "../../cli/options.js";
import { natsCredentials, redactSecrets, REDACTED } from "../../lib/secrets.js";
import { testLog } from "../support/log.js";

const files = (contents: Record<string, string>) => (p: string) => {
  const c = contents[p];
  if (c === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: "ENOENT" });
  return Buffer.from(c);
};

describe("natsCredentials", () => {
  it("is none without a user (an open server, as `vigie up` on loopback)", () => {
    expect(natsCredentials({})).toBeUndefined();
    expect(agentOptions(loadConfig({ env: {} }), testLog).natsAuth).toBeUndefined();
    expect(collectorOptions(loadConfig({ env: {} }), testLog).natsAuth).toBeUndefined();
  });

  it("takes a password given in clear, or reads it from a file, ignoring one trailing newline", () => {
    expect(natsCredentials({ user: "agent", password: "pw" })).toEqual({ user: "agent", pass: "pw" });
    expect(natsCredentials({ user: "agent", passwordFile: "/run/secrets/p" }, files({ "/run/secrets/p": "s3cret\n" }))).toEqual({ user: "agent", pass: "s3cret" });
    expect(natsCredentials({ user: "agent", passwordFile: "/p" }, files({ "/p": "two\nlines\r\n" }))).toEqual({ user: "agent", pass: "two\nlines" });
    expect(natsCredentials({ user: "agent" })).toEqual({ user: "agent", pass: undefined });
  });

  it("refuses what does not fit together, naming keys and file but never the password", () => {
    expect(() => natsCredentials({ user: "a", password: "pw-in-clear", passwordFile: "/p" })).toThrow(/both set/);
    expect(() => natsCredentials({ password: "pw-in-clear" })).toThrow(/nats\.user is not/);
    expect(() => natsCredentials({ user: "a", passwordFile: "/missing" }, files({}))).toThrow(/nats\.passwordFile = "\/missing": cannot read it: ENOENT/);
    expect(() => natsCredentials({ user: "a", passwordFile: "/empty" }, files({ "/empty": "\n" }))).toThrow(/empty/);
    expect(() => natsCredentials({ user: "a", passwordFile: "/big" }, files({ "/big": "x".repeat(5000) }))).toThrow(/more than a password/);
    try {
      natsCredentials({ user: "a", password: "pw-in-clear", passwordFile: "/p" });
    } catch (err) {
      expect((err as Error).message).not.toContain("pw-in-clear");
    }
  });

  it("maps VIGIE_NATS_USER / VIGIE_NATS_PASSWORD onto both the agent's and the collector's options; a bad pair stops start-up", () => {
    const config = loadConfig({ env: { VIGIE_NATS_USER: "collector", VIGIE_NATS_PASSWORD: "pw-42" } });
    expect(collectorOptions(config, testLog).natsAuth).toEqual({ user: "collector", pass: "pw-42" });
    expect(agentOptions(config, testLog).natsAuth).toEqual({ user: "collector", pass: "pw-42" });
    const bad = loadConfig({ env: { VIGIE_NATS_PASSWORD: "pw-42" } });
    expect(() => agentOptions(bad, testLog)).toThrow(/invalid configuration[\s\S]*nats\.user/);
  });

  it("prints nats.password redacted and nats.passwordFile as it is", () => {
    const config = loadConfig({ env: { VIGIE_NATS_USER: "agent", VIGIE_NATS_PASSWORD: "pw-in-clear-42" } });
    const shown = redactSecrets(config);
    expect(shown.nats.password).toBe(REDACTED);
    expect(shown.nats.user).toBe("agent");
    expect(JSON.stringify(shown)).not.toContain("pw-in-clear-42");
    expect(redactSecrets({ nats: { passwordFile: "/run/secrets/vigie_nats_agent_password" } }).nats.passwordFile).toBe("/run/secrets/vigie_nats_agent_password");
  });
});
