import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../cli/config/load.js";
import { agentOptions } from "../../cli/options.js";
import { testLog } from "../support/log.js";

const dir = mkdtempSync(path.join(tmpdir(), "vigie-checks-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(text: string): string {
  const f = path.join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(f, text);
  return f;
}

describe("checks: section of the configuration", () => {
  it("reads checks from YAML into the agent's options", () => {
    const config = loadConfig({
      env: {},
      file: file(`checks:
  - name: billing
    url: https://127.0.0.1:8443/health
    interval: 15s
    conditions: ["[STATUS] == 200", "[BODY].status == UP"]
    insecure: true
`),
    });
    const opts = agentOptions(config, testLog);
    expect(opts.checks).toEqual([
      expect.objectContaining({ name: "billing", url: "https://127.0.0.1:8443/health", interval: 15_000, timeout: 10_000, insecure: true, failureThreshold: 3 }),
    ]);
  });

  it("stops start-up on a malformed condition, naming the check, the condition and the column", () => {
    expect(() => loadConfig({ env: {}, file: file(`checks:\n  - name: billing\n    url: http://127.0.0.1/\n    conditions: ["[STATUS] => 200"]\n`) })).toThrow(/checks\.0\.conditions\.0.*column 10/s);
  });

  it("takes VIGIE_CHECKS as a JSON array", () => {
    const config = loadConfig({ env: { VIGIE_CHECKS: JSON.stringify([{ name: "db", url: "tcp://127.0.0.1:5432" }]) } });
    expect(config.checks.map((c) => c.name)).toEqual(["db"]);
  });
});
