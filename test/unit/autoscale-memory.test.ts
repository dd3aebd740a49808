import { describe, expect, it } from "vitest";
import { AuditTrail } from "../../collector/autoscale/audit.js";
import { Autoscaler } from "../../collector/autoscale/autoscaler.js";
import { decide, emptyMemory, remember, scaled, type ScaleMemory } from "../../collector/autoscale/decide.js";
import { MAX_STORED_RECOMMENDATIONS, restore, snapshot } from "../../collector/autoscale/memory.js";
import type { ActuationResult, AutoscaleService, Lease, MemoryLoad, MemoryStore } from "../../collector/autoscale/ports.js";
import { testLog } from "../support/log.js";

const M = 60_000;

describe("autoscaler memory as stored", () => {
  it("comes back as it was: last scales and the stabilization window's recommendations", () => {
    const m: ScaleMemory = emptyMemory();
    remember(m, 5, 1_000, 5 * M);
    remember(m, 3, 16_000, 5 * M);
    scaled(m, "up", 1_000);
    scaled(m, "down", 16_000);
    const r = restore(snapshot(m), 20_000);
    expect(r).toEqual({ ok: true, memory: m });
  });

  it("folds runs of one recommendation into their newest, which keeps every stabilization floor the same", () => {
    const window = 5 * M;
    const behavior = { min: 1, max: 20, cooldownUpMs: 0, cooldownDownMs: 0, stabilizationMs: window };
    const rec = { ok: true as const, replicas: 1, ratio: 0.1, observed: 1, withinTolerance: false, counted: { withMetric: 1, missing: 0, ignored: 0 } };
    const input = { behavior, current: 10, updateInProgress: false, recommendation: rec };
    const m = emptyMemory();
    // Half an hour of 15 s evaluations: 8 for 10 minutes, then 3, then 6; stored and read back at every step.
    for (let t = 0; t < 30 * M; t += 15_000) {
      remember(m, t < 10 * M ? 8 : t < 20 * M ? 3 : 6, t, window);
      const r = restore(snapshot(m), t);
      if (!r.ok) expect.fail(r.error);
      expect(r.memory.recommendations.length).toBeLessThanOrEqual(2);
      for (const later of [0, 15_000, M, 4 * M, window - 1, window, window + M]) expect(decide(r.memory, input, t + later)).toEqual(decide(m, input, t + later));
    }
  });

  it("reads hostile or broken text as no memory, with the reason", () => {
    const bad = [
      "not json",
      "{}",
      JSON.stringify({ v: 2, recs: [] }),
      JSON.stringify({ v: 1, recs: [[1, -1]] }),
      JSON.stringify({ v: 1, recs: [[1, 2.5]] }),
      JSON.stringify({ v: 1, recs: [], up: "yesterday" }),
      JSON.stringify({ v: 1, recs: [], extra: 1 }),
      JSON.stringify({ v: 1, recs: Array.from({ length: MAX_STORED_RECOMMENDATIONS + 1 }, (_, i) => [i, 1]) }),
      "x".repeat(200_000),
    ];
    for (const text of bad) expect(restore(text, 1_000)).toMatchObject({ ok: false, error: expect.any(String) });
  });

  it("never puts a time later than now: a clock running ahead must not lengthen a cooldown", () => {
    const r = restore(JSON.stringify({ v: 1, up: 9_000_000, recs: [[9_000_000, 4], [500, 2]] }), 10_000);
    expect(r).toEqual({ ok: true, memory: { lastScaleUp: 10_000, recommendations: [{ time: 500, replicas: 2 }, { time: 10_000, replicas: 4 }] } });
  });
});

/** A store as the KV one behaves: text in, text out, through the same snapshot and restore. */
class TextStore implements MemoryStore {
  readonly texts = new Map<string, string>();
  failing = false;
  constructor(private readonly now: () => number = () => Number.MAX_SAFE_INTEGER) {}
  async load(service: string): Promise<MemoryLoad> {
    if (this.failing) return { ok: false, error: "bucket unavailable" };
    const t = this.texts.get(service);
    if (t === undefined) return { ok: true, memory: undefined };
    const r = restore(t, this.now());
    return r.ok ? { ok: true, memory: r.memory } : { ok: true, memory: undefined };
  }
  async save(service: string, memory: ScaleMemory): Promise<void> {
    this.texts.set(service, snapshot(memory));
  }
}

describe("autoscaler memory across a restart or a failover", () => {
  const labels = { "vigie.autoscale.enabled": "true", "vigie.autoscale.max": "20", "vigie.autoscale.target": "50%", "vigie.autoscale.cooldown.up": "5m", "vigie.autoscale.cooldown.down": "0s", "vigie.autoscale.stabilization": "5m" };

  function world(store: MemoryStore, start: number) {
    const svc: AutoscaleService = { id: "s", name: "web", labels, version: 1, mode: "replicated", replicas: 2, updateState: "none", tasks: [] };
    const cpu = { value: 1 };
    const calls: number[] = [];
    let now = start;
    const make = (lease?: Lease) => {
      const audit = new AuditTrail();
      const autoscaler = new Autoscaler({
        services: { services: async () => [{ ...svc, tasks: Array.from({ length: svc.replicas ?? 0 }, (_, i) => ({ id: `t${i}`, state: "running", ready: true })) }] },
        metrics: { cpuCores: async (s) => s.tasks.map((t) => ({ taskId: t.id, value: cpu.value })), memoryBytes: async () => [], checkValue: async () => [] },
        actuator: {
          async scale(_id, replicas): Promise<ActuationResult> {
            calls.push(replicas);
            const from = svc.replicas ?? 0;
            svc.replicas = replicas;
            return { ok: true, from, to: replicas, version: ++svc.version, attempts: 1, dryRun: false };
          },
        },
        lease,
        memory: store,
        audit,
        stabilizationMs: 5 * M,
        log: testLog,
        now: () => now,
      });
      return { autoscaler, audit, tick: () => autoscaler.tick() };
    };
    return { svc, cpu, calls, make, advance: (ms: number) => (now += ms) };
  }

  it("a restarted autoscaler honours the cooldown its predecessor started", async () => {
    const store = new TextStore();
    const w = world(store, 1_000_000);
    const first = w.make();
    await first.tick();
    expect(w.calls).toEqual([4]);
    await first.autoscaler.stop();

    // Restarted a minute later, still twice over target: the 5-minute cooldown holds.
    w.advance(M);
    const second = w.make();
    await second.tick();
    expect(w.calls).toEqual([4]);
    expect(second.audit.last("web")).toMatchObject({ reason: "cooldown", direction: "none" });

    // Past the cooldown it acts again.
    w.advance(5 * M);
    await second.tick();
    expect(w.calls).toEqual([4, 8]);
  });

  it("a restarted autoscaler scales down only to the highest recommendation of the window its predecessor saw", async () => {
    const store = new TextStore();
    const w = world(store, 2_000_000);
    const first = w.make();
    await first.tick();
    expect(w.calls).toEqual([4]);

    // The load drops to nothing: the recommendation falls, but 4 was recommended a minute ago.
    w.cpu.value = 0.05;
    w.advance(M);
    const second = w.make();
    await second.tick();
    expect(w.calls).toEqual([4]);
    expect(second.audit.last("web")).toMatchObject({ reason: "stabilization" });

    // Once the predecessor's recommendation is out of the window, down it goes.
    w.advance(5 * M);
    await second.tick();
    expect(w.calls).toEqual([4, 1]);
  });

  it("does not evaluate a service whose memory cannot be read, and reads it again after standing by", async () => {
    const store = new TextStore();
    const w = world(store, 3_000_000);
    let held = true;
    const lease: Lease = { hold: async () => held, held: () => held, release: async () => {}, holder: "me" };
    const a = w.make(lease);
    store.failing = true;
    await a.tick();
    expect(w.calls).toEqual([]);
    store.failing = false;
    await a.tick();
    expect(w.calls).toEqual([4]);

    // Standing by while another instance scaled and remembered it; on taking the lease back, its memory is read.
    held = false;
    await a.tick();
    store.texts.set("web", snapshot({ recommendations: [], lastScaleUp: 3_000_000 + M }));
    w.advance(2 * M);
    held = true;
    await a.tick();
    expect(w.calls).toEqual([4]);
    expect(a.audit.last("web")).toMatchObject({ reason: "cooldown" });
  });
});
