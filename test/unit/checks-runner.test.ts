import { afterEach, describe, expect, it, vi } from "vitest";
import type { Kind, StatusPayload } from "../../protocol/index.js";
import type { Emitter, PayloadOf } from "../../agent/source.js";
import { CheckRunner, type CheckRunnerOptions } from "../../agent/checks/runner.js";
import type { CheckTarget } from "../../agent/checks/labels.js";
import type { ProbeOutcome } from "../../agent/checks/probe.js";
import { testLog } from "../support/log.js";

const ok: ProbeOutcome = { connected: true, durationMs: 5, phases: {}, status: 200, body: "" };
const refused: ProbeOutcome = { connected: false, durationMs: 1, phases: {}, error: { type: "connect", message: "ECONNREFUSED" } };

function runner(extra: Partial<CheckRunnerOptions> = {}) {
  const published: StatusPayload[] = [];
  const emitter: Emitter = {
    emit: async <K extends Kind>(kind: K, payload: PayloadOf<K>) => {
      if (kind === "status") published.push(payload as StatusPayload);
    },
  };
  const r = new CheckRunner({
    log: testLog,
    listTargets: false,
    probe: async () => ok,
    now: () => 1_700_000_000_000,
    maxJitterMs: 0,
    ...extra,
  });
  return { r, published, emitter };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("check runner", () => {
  it("reports a check down after three failed runs and keeps each raw result", async () => {
    const outcomes = [ok, refused, refused, refused];
    const { r, published, emitter } = runner({ checks: [{ name: "api", url: "http://127.0.0.1:1/" }], probe: async () => outcomes.shift() ?? ok });
    r.start(emitter);
    const states: string[] = [];
    for (let i = 0; i < 4; i++) states.push((await r.runNow("config/api"))!.state);
    expect(states).toEqual(["up", "up", "up", "down"]);
    await r.flush();
    const results = published.flatMap((p) => p.results);
    expect(results.map((x) => x.up)).toEqual([true, false, false, false]);
    expect(results[3]).toMatchObject({ state: "down", error: { type: "connect" }, check: { id: "config/api", name: "api", type: "http", intervalSeconds: 30 } });
    await r.stop();
  });

  it("never runs more probes at once than the concurrency limit", async () => {
    let inFlight = 0;
    let peak = 0;
    const gates: (() => void)[] = [];
    const { r, emitter } = runner({
      concurrency: 2,
      checks: Array.from({ length: 6 }, (_, i) => ({ name: `c${i}`, url: `http://127.0.0.1:${i + 1}/` })),
      probe: () =>
        new Promise<ProbeOutcome>((resolve) => {
          inFlight++;
          peak = Math.max(peak, inFlight);
          gates.push(() => {
            inFlight--;
            resolve(ok);
          });
        }),
    });
    r.start(emitter);
    let settled = false;
    const runs = Promise.all(Array.from({ length: 6 }, (_, i) => r.runNow(`config/c${i}`))).finally(() => {
      settled = true;
    });
    // Release one probe at a time (the scheduled first runs join in) until every run is back.
    while (!settled) {
      await new Promise((res) => setImmediate(res));
      gates.shift()?.();
    }
    const results = await runs;
    expect(results.every((x) => x?.up === true)).toBe(true);
    expect(peak).toBe(2);
    let stopped = false;
    const stopping = r.stop().then(() => {
      stopped = true;
    });
    while (!stopped) {
      await new Promise((res) => setImmediate(res));
      gates.shift()?.();
    }
    await stopping;
  });

  it("spreads first runs by jitter", async () => {
    vi.useFakeTimers();
    const probe = vi.fn(async () => ok);
    const { r, emitter } = runner({ checks: [{ name: "api", url: "http://127.0.0.1:1/", interval: "10s" }], maxJitterMs: 10_000, random: () => 0.5, probe });
    r.start(emitter);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(probe).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(2);
    expect(probe).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(probe).toHaveBeenCalledTimes(2);
    await r.stop();
  });

  it("discovers label checks, reports bad labels in error, and forgets containers that are gone", async () => {
    let targets: CheckTarget[] = [
      { id: "a", name: "web", labels: { "vigie.check.port": "8080" }, hostNetwork: true },
      { id: "b", name: "bad", labels: { "vigie.check.port": "8080" }, hostNetwork: false },
      { id: "c", name: "plain", labels: {} },
    ];
    const { r, published, emitter } = runner({ listTargets: async () => targets });
    r.start(emitter);
    await r.discover();
    expect(
      r
        .list()
        .map((c) => c.definition.id)
        .sort(),
    ).toEqual(["container/bad", "container/web"]);
    const bad = await r.runNow("container/bad");
    expect(bad).toMatchObject({ state: "error", up: false, status: "unknown", error: { type: "config" } });
    expect(bad?.error?.message).toContain("needs host networking");
    targets = [targets[0]!];
    await r.discover();
    await r.flush();
    expect(r.list().map((c) => c.definition.id)).toEqual(["container/web"]);
    expect(published.at(-1)?.active).toEqual(["container/web"]);
    await r.stop();
  });

  it("keeps its checks when the container listing fails", async () => {
    let fail = false;
    const { r, emitter } = runner({
      listTargets: async () => {
        if (fail) throw new Error("connect ENOENT /var/run/docker.sock");
        return [{ id: "a", name: "web", labels: { "vigie.check.port": "8080" }, hostNetwork: true }];
      },
    });
    r.start(emitter);
    await r.discover();
    fail = true;
    await r.discover();
    expect(r.list()).toHaveLength(1);
    expect(r.stats.discoveryErrors).toBe(1);
    await r.stop();
  });

  it("splits many results into messages of bounded size, each naming every active check", async () => {
    const body = JSON.stringify({ status: "UP", components: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`c${i}`, { status: "UP" }])) });
    const { r, published, emitter } = runner({
      checks: Array.from({ length: 250 }, (_, i) => ({ name: `c${i}`, url: `http://127.0.0.1:${i + 1}/` })),
      probe: async () => ({ ...ok, body, contentType: "application/json" }),
      maxJitterMs: 60_000,
      random: () => 0.999,
    });
    r.start(emitter);
    for (let i = 0; i < 250; i++) await r.runNow(`config/c${i}`);
    await r.flush();
    expect(published.length).toBeGreaterThan(1);
    expect(published.reduce((n, p) => n + p.results.length, 0)).toBe(250);
    for (const p of published) {
      expect(p.results.length).toBeLessThanOrEqual(200);
      expect(JSON.stringify(p).length).toBeLessThan(512 * 1024);
      expect(p.active).toHaveLength(250);
    }
    await r.stop();
  });

  it("refuses to start with a malformed configured condition", () => {
    expect(() => runner({ checks: [{ name: "api", url: "http://127.0.0.1:1/", conditions: ["[STATUS] => 200"] }] })).toThrow(/column 10/);
  });
});
