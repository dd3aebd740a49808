import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { buildApi } from "../../collector/api/server.js";
import { AuditTrail } from "../../collector/autoscale/audit.js";
import { Autoscaler } from "../../collector/autoscale/autoscaler.js";
import { registerAutoscaleMetrics } from "../../collector/autoscale/metrics.js";
import type { ActuationResult, Actuator, AutoscaleService, Lease, MetricReader, QueueReader, TaskValue } from "../../collector/autoscale/ports.js";
import { autoscaleRoutes } from "../../collector/autoscale/routes.js";
import { valueAtPath } from "../../collector/autoscale/value-path.js";
import { testLog } from "../support/log.js";

const svc = (name: string, replicas: number, labels: Record<string, string>, extra: Partial<AutoscaleService> = {}): AutoscaleService => ({
  id: `id-${name}`,
  name,
  labels,
  version: 10,
  mode: "replicated",
  replicas,
  updateState: "none",
  tasks: Array.from({ length: replicas }, (_, i) => ({ id: `${name}.${i}`, state: "running", ready: true })),
  ...extra,
});
const opted = (l: Record<string, string>) => ({ "vigie.autoscale.enabled": "true", "vigie.autoscale.cooldown.up": "0s", "vigie.autoscale.cooldown.down": "0s", ...l });

class FakeActuator implements Actuator {
  calls: { id: string; replicas: number; dryRun: boolean }[] = [];
  constructor(private readonly services: Map<string, AutoscaleService>) {}
  async scale(id: string, replicas: number, o: { dryRun?: boolean } = {}): Promise<ActuationResult> {
    this.calls.push({ id, replicas, dryRun: o.dryRun ?? false });
    const s = [...this.services.values()].find((x) => x.id === id);
    if (!s) return { ok: false, reason: "not_found", message: "gone", attempts: 1 };
    const from = s.replicas ?? 0;
    if (!o.dryRun) s.replicas = replicas;
    return { ok: true, from, to: replicas, version: s.version, attempts: 1, dryRun: o.dryRun ?? false };
  }
}

function setup(services: AutoscaleService[], o: { cpu?: number; pending?: number; dryRun?: boolean; lease?: Lease; audit?: AuditTrail } = {}) {
  const map = new Map(services.map((s) => [s.name, s]));
  let now = 1_000_000;
  const cpu = { value: o.cpu ?? 0.5 };
  const queue = { pending: o.pending ?? 0 };
  const perTask = (s: AutoscaleService, v: number | undefined): TaskValue[] => s.tasks.map((t) => ({ taskId: t.id, value: v }));
  const metrics: MetricReader = {
    cpuCores: async (s) => perTask(s, cpu.value),
    memoryBytes: async (s) => perTask(s, undefined),
    checkValue: async (s) => perTask(s, undefined),
  };
  const queues: QueueReader = { pending: async () => ({ ok: true, pending: queue.pending }) };
  const actuator = new FakeActuator(map);
  const audit = o.audit ?? new AuditTrail();
  const autoscaler = new Autoscaler({
    services: { services: async () => [...map.values()].map((s) => ({ ...s, tasks: Array.from({ length: s.replicas ?? 0 }, (_, i) => ({ id: `${s.name}.${i}`, state: "running", ready: true })) })) },
    metrics,
    queues,
    actuator,
    lease: o.lease,
    audit,
    intervalMs: 1000,
    stabilizationMs: 60_000,
    dryRun: o.dryRun,
    log: testLog,
    now: () => now,
  });
  return { autoscaler, actuator, audit, map, cpu, queue, metrics, advance: (ms: number) => (now += ms) };
}

describe("autoscaler loop", () => {
  it("scales a loaded service up and records the decision with its inputs", async () => {
    const { autoscaler, actuator, audit, map } = setup([svc("web", 2, opted({ "vigie.autoscale.max": "10", "vigie.autoscale.target": "50%" }))], { cpu: 1.0 });
    await autoscaler.tick();
    expect(actuator.calls).toEqual([{ id: "id-web", replicas: 4, dryRun: false }]);
    expect(map.get("web")?.replicas).toBe(4);
    const [e] = audit.list();
    expect(e).toMatchObject({ service: "web", reason: "scaled", direction: "up", from: 2, to: 4 });
    expect(e?.inputs).toMatchObject({ metric: "cpu", target: 0.5, observed: 1, ratio: 2, recommended: 4, capacity: 1 });
  });

  it("never touches a service without the opt-in label", async () => {
    const { autoscaler, actuator, audit } = setup([svc("plain", 1, { "vigie.autoscale.max": "10" })], { cpu: 5 });
    await autoscaler.tick();
    expect(actuator.calls).toEqual([]);
    expect(audit.list()).toEqual([]);
    expect(autoscaler.status().services).toEqual([]);
  });

  it("reports an invalid policy (API, metric, trail) and leaves the service alone", async () => {
    const { autoscaler, actuator, audit } = setup([svc("bad", 1, opted({ "vigie.autoscale.max": "many" }))], { cpu: 5 });
    const registry = new Registry();
    registerAutoscaleMetrics(registry, autoscaler);
    await autoscaler.tick();
    await autoscaler.tick();
    expect(actuator.calls).toEqual([]);
    const [e] = audit.list();
    expect(e).toMatchObject({ reason: "invalid_policy", count: 2 });
    expect(e?.message).toContain('vigie.autoscale.max="many"');
    const text = await registry.metrics();
    expect(text).toContain('vigie_autoscale_policy_valid{service="bad"} 0');
    expect(text).toContain('vigie_autoscale_events_total{service="bad",direction="none",reason="invalid_policy"} 2');
    const app = buildApi({ routes: [autoscaleRoutes({ autoscaler, audit })] });
    const res = await app.inject({ method: "GET", url: "/api/v1/autoscale" });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ services: { service: string; valid: boolean; problems: { where: string; value: string }[] }[] }>();
    expect(body.services[0]).toMatchObject({ service: "bad", valid: false, problems: [{ where: "vigie.autoscale.max", value: "many" }] });
  });

  it("holds during an update and records why", async () => {
    const { autoscaler, actuator, audit } = setup([svc("web", 2, opted({ "vigie.autoscale.max": "10" }), { updateState: "updating" })], { cpu: 2 });
    await autoscaler.tick();
    expect(actuator.calls).toEqual([]);
    expect(audit.list()[0]).toMatchObject({ reason: "update_in_progress", from: 2, to: 2 });
  });

  it("in dry-run decides and records, and asks the actuator only for a dry run", async () => {
    const { autoscaler, actuator, audit, map } = setup([svc("web", 1, opted({ "vigie.autoscale.max": "10" }))], { cpu: 1.4, dryRun: true });
    await autoscaler.tick();
    expect(actuator.calls).toEqual([{ id: "id-web", replicas: 2, dryRun: true }]);
    expect(map.get("web")?.replicas).toBe(1);
    expect(audit.list()[0]).toMatchObject({ reason: "dry_run", dryRun: true, direction: "up", to: 2 });
  });

  it("scales a worker on its queue's backlog, and back down once drained after the window", async () => {
    const { autoscaler, map, queue, advance, audit } = setup([svc("worker", 1, opted({ "vigie.autoscale.max": "6", "vigie.autoscale.metric": "nats:JOBS/workers", "vigie.autoscale.target": "10" }))], { pending: 45 });
    await autoscaler.tick();
    expect(map.get("worker")?.replicas).toBe(5);
    queue.pending = 0;
    advance(1000);
    await autoscaler.tick();
    expect(map.get("worker")?.replicas).toBe(5);
    expect(audit.list()[0]?.reason).toBe("stabilization");
    advance(60_000);
    await autoscaler.tick();
    expect(map.get("worker")?.replicas).toBe(1);
  });

  it("scales on a number from the tasks' status checks, and holds a memory policy without a limit for missing metrics", async () => {
    const { autoscaler, map, audit, metrics } = setup([
      svc("api", 2, opted({ "vigie.autoscale.max": "10", "vigie.autoscale.metric": "check:queue.depth", "vigie.autoscale.target": "10" })),
      svc("cache", 2, opted({ "vigie.autoscale.max": "10", "vigie.autoscale.metric": "memory" })),
    ]);
    metrics.checkValue = async (s) => s.tasks.map((t, i) => ({ taskId: t.id, value: i === 0 ? 30 : 20 }));
    await autoscaler.tick();
    expect(map.get("api")?.replicas).toBe(5);
    expect(audit.list({ service: "api" })[0]?.inputs).toMatchObject({ metric: "check:queue.depth", observed: 25, recommended: 5 });
    expect(map.get("cache")?.replicas).toBe(2);
    expect(audit.list({ service: "cache" })[0]).toMatchObject({ reason: "missing_metrics" });
    expect(audit.list({ service: "cache" })[0]?.message).toContain("no memory limit or reservation");
  });

  it("does nothing while another instance holds the lease", async () => {
    let held = false;
    const lease: Lease = { holder: "other", held: () => held, hold: async () => held, release: async () => {} };
    const { autoscaler, actuator, audit } = setup([svc("web", 1, opted({ "vigie.autoscale.max": "10" }))], { cpu: 3, lease });
    await autoscaler.tick();
    expect(actuator.calls).toEqual([]);
    expect(audit.list()).toEqual([]);
    expect(autoscaler.status().leader).toBe(false);
    held = true;
    await autoscaler.tick();
    expect(actuator.calls.length).toBe(1);
  });

  it("tells listeners of every new event, and a failing listener breaks nothing", async () => {
    const audit = new AuditTrail({ log: testLog });
    const heard: string[] = [];
    audit.subscribe(() => {
      throw new Error("boom");
    });
    audit.subscribe((e) => heard.push(`${e.service}:${e.reason}`));
    const { autoscaler } = setup([svc("web", 1, opted({ "vigie.autoscale.max": "10" }))], { cpu: 3, audit });
    await autoscaler.tick();
    expect(heard).toEqual(["web:scaled"]);
  });
});

describe("autoscale audit trail", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("folds repeated holds into one event, keeps actions apart, and survives a restart on disk", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "vigie-audit-"));
    dirs.push(dir);
    const file = path.join(dir, "autoscale.db");
    const a = new AuditTrail({ file });
    const base = { service: "web", direction: "none" as const, from: 2, to: 2, dryRun: false, message: "m", inputs: { ratio: 1.02 } };
    a.record({ ...base, time: 1, reason: "tolerance" });
    a.record({ ...base, time: 2, reason: "tolerance" });
    a.record({ ...base, time: 3, reason: "scaled", direction: "up", to: 4 });
    a.record({ ...base, time: 4, reason: "scaled", direction: "up", from: 4, to: 8 });
    a.close();
    const b = new AuditTrail({ file });
    const events = b.list({ service: "web" });
    expect(events.map((e) => [e.reason, e.count, e.time, e.lastTime])).toEqual([
      ["scaled", 1, 4, 4],
      ["scaled", 1, 3, 3],
      ["tolerance", 2, 1, 2],
    ]);
    expect(b.list({ reason: "tolerance" })[0]?.inputs).toEqual({ ratio: 1.02 });
    b.record({ ...base, time: 5, reason: "tolerance" });
    expect(b.list()[0]?.id).toBe(4);
    b.close();
  });

  it("keeps a bounded ring in memory", () => {
    const a = new AuditTrail({ inMemory: 10 });
    for (let i = 0; i < 50; i++) a.record({ service: `s${i}`, time: i, reason: "scaled", direction: "up", from: 1, to: 2, dryRun: false, message: "", inputs: {} });
    expect(a.list({ limit: 100 }).length).toBe(10);
  });
});

describe("status JSON path", () => {
  it("reads numbers at a path, and nothing from hostile shapes", () => {
    const body = { queue: { depth: 12 }, details: { workers: [{ load: "0.5" }] }, s: "x" };
    expect(valueAtPath(body, "queue.depth")).toBe(12);
    expect(valueAtPath(body, "details.workers[0].load")).toBe(0.5);
    expect(valueAtPath(body, "details.workers[3].load")).toBeUndefined();
    expect(valueAtPath(body, "s")).toBeUndefined();
    expect(valueAtPath(body, "__proto__.x")).toBeUndefined();
    expect(valueAtPath({ n: Infinity }, "n")).toBeUndefined();
  });
});
