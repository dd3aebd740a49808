import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../agent/index.js";
import { startCollector, type Collector } from "../../collector/index.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { testLog } from "../support/log.js";
import { freePort } from "../support/ports.js";
import { waitFor } from "../support/wait.js";

const NODE_EXPORTER = "/usr/bin/prometheus-node-exporter";
const README = path.join(import.meta.dirname, "../../agent/host/README.md");
const HOSTNAME = "vigie-ne-host";

/** The left-out table of agent/host/README.md: one pattern per row, `*` for any characters. */
function leftOut(): RegExp[] {
  const text = readFileSync(README, "utf8");
  const section = text.slice(text.indexOf("## node_exporter families left out"));
  const patterns = [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] as string);
  return patterns.map((p) => new RegExp(`^${p.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`));
}

/** Family name → its series (`name{labels} value`), from a text exposition. */
function families(text: string): Map<string, { labels: string; value: number }[]> {
  const out = new Map<string, { labels: string; value: number }[]>();
  for (const line of text.split("\n")) {
    const t = /^# TYPE (\S+) /.exec(line);
    if (t) out.set(t[1] as string, out.get(t[1] as string) ?? []);
    const m = /^([a-zA-Z_:][\w:]*)(\{.*\})? (\S+)/.exec(line);
    if (!m || line.startsWith("#")) continue;
    const list = out.get(m[1] as string) ?? [];
    list.push({ labels: m[2] ?? "", value: Number(m[3]) });
    out.set(m[1] as string, list);
  }
  return out;
}

const label = (labels: string, name: string) => new RegExp(`[{,]${name}="([^"]*)"`).exec(labels)?.[1];
const value = (f: Map<string, { labels: string; value: number }[]>, name: string, where: (labels: string) => boolean = () => true) =>
  f.get(name)?.find((s) => where(s.labels))?.value;

describe.skipIf(!existsSync(NODE_EXPORTER))("node_exporter's families against Vigie's /metrics on the same host", () => {
  let nats: NatsServer;
  let dataDir: string;
  let collector: Collector;
  let agent: Agent;
  let exporter: ChildProcess;
  let exporterUrl: string;

  beforeAll(async () => {
    const port = await freePort();
    exporterUrl = `http://127.0.0.1:${port}/metrics`;
    exporter = spawn(NODE_EXPORTER, [`--web.listen-address=127.0.0.1:${port}`], { stdio: "ignore" });
    nats = await startNats();
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-ne-"));
    collector = await startCollector({
      natsUrl: nats.url, listen: "127.0.0.1:0", dataDir, streamMaxAgeMs: 3_600_000, streamMaxBytes: -1, streamReplicas: 1, durable: "vigie-collector", log: testLog,
      absence: { defaultIntervalMs: 1000, downAfterMs: 60_000 },
    });
    agent = await startAgent({
      natsUrl: nats.url, intervalMs: 500, listen: "127.0.0.1:0", dataDir, hostRoot: "/", spoolMaxBytes: 16 * 1024 * 1024,
      nodeId: "ne-node", hostname: HOSTNAME, dockerSocket: false, log: testLog,
    });
  });

  afterAll(async () => {
    exporter?.kill();
    await agent?.stop();
    await collector?.stop();
    await nats?.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("has every family node_exporter exposes, or lists it as left out with a reason", async () => {
    const vigie = families(
      await waitFor("the agent's host metrics in /metrics", async () => {
        const t = await (await fetch(`${collector.url}/metrics`)).text();
        return t.includes(`node_time_seconds{node="${HOSTNAME}"`) && t.includes("node_filesystem_size_bytes{") ? t : undefined;
      }),
    );
    const ne = families(await waitFor("node_exporter's /metrics", async () => (await fetch(exporterUrl).catch(() => undefined))?.text()));
    const skip = leftOut();
    expect(ne.size).toBeGreaterThan(100);
    expect(skip.length).toBeGreaterThan(10);
    const missing = [...ne.keys()].filter((name) => !vigie.has(name) && !skip.some((r) => r.test(name)));
    expect(missing).toEqual([]);
    // A left-out row that Vigie does expose is out of date.
    const stale = [...vigie.keys()].filter((name) => name.startsWith("node_") && skip.some((r) => r.test(name)));
    expect(stale).toEqual([]);
  });

  it("agrees with node_exporter on memory, boot time, time, CPUs and filesystem sizes", async () => {
    const [vigieText, neText] = await Promise.all([(await fetch(`${collector.url}/metrics`)).text(), (await fetch(exporterUrl)).text()]);
    const vigie = families(vigieText);
    const ne = families(neText);
    const ours = (labels: string) => label(labels, "node") === HOSTNAME;
    expect(value(vigie, "node_memory_MemTotal_bytes", ours)).toBe(value(ne, "node_memory_MemTotal_bytes"));
    expect(value(vigie, "node_boot_time_seconds", ours)).toBeCloseTo(value(ne, "node_boot_time_seconds") ?? NaN, 0);
    // Sampled at most a few agent intervals apart.
    expect(Math.abs((value(vigie, "node_time_seconds", ours) ?? 0) - (value(ne, "node_time_seconds") ?? NaN))).toBeLessThan(30);
    const cpus = (f: typeof vigie, where: (l: string) => boolean) => new Set(f.get("node_cpu_seconds_total")?.filter((s) => where(s.labels)).map((s) => label(s.labels, "cpu")));
    expect(cpus(vigie, ours).size).toBe(cpus(ne, () => true).size);
    expect(value(vigie, "node_filefd_maximum", ours)).toBe(value(ne, "node_filefd_maximum"));
    expect(value(vigie, "node_entropy_pool_size_bits", ours)).toBe(value(ne, "node_entropy_pool_size_bits"));
    const root = (l: string) => label(l, "mountpoint") === "/";
    const size = value(vigie, "node_filesystem_size_bytes", (l) => ours(l) && root(l));
    expect(size).toBeGreaterThan(0);
    expect(size).toBe(value(ne, "node_filesystem_size_bytes", root));
    const files = value(vigie, "node_filesystem_files", (l) => ours(l) && root(l));
    expect(files).toBe(value(ne, "node_filesystem_files", root));
    const up = (f: typeof vigie, where: (l: string) => boolean) => value(f, "node_network_up", (l) => where(l) && label(l, "device") === "eth0");
    if (up(ne, () => true) !== undefined) expect(up(vigie, ours)).toBe(up(ne, () => true));
  });
});
