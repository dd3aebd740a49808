import { Periodic, type Logger } from "../../lib/index.js";
import type { AuditTrail, AutoscaleEvent } from "./audit.js";
import { decide, emptyMemory, remember, scaled, type Decision, type Direction, type Reason, type ScaleMemory } from "./decide.js";
import { observe, type Observation } from "./observe.js";
import { policyFor, type Policy, type PolicyKey, type PolicyProblem, type RawField } from "./policy.js";
import { UPDATE_IN_PROGRESS, type Actuator, type AutoscaleService, type Clock, type Lease, type MemoryStore, type MetricReader, type QueueReader, type ServiceReader } from "./ports.js";

export interface AutoscalerOptions {
  services: ServiceReader;
  metrics: MetricReader;
  queues?: QueueReader;
  actuator: Actuator;
  /** Only the holder acts; without a lease this instance always acts (one collector). */
  lease?: Lease;
  audit: AuditTrail;
  /**
   * Keeps each service's last scales and stabilization window where the next holder of the
   * lease reads them; without one they live in this process only (a restart forgets them).
   */
  memory?: MemoryStore;
  /** Evaluation interval, ms. Default 15 s. */
  intervalMs?: number;
  /** Default 0.1. */
  tolerance?: number;
  /** Scale-down stabilization window when the policy sets none, ms. Default 5 min. */
  stabilizationMs?: number;
  /** Decide and record, never change a service. */
  dryRun?: boolean;
  /** Policies from the configuration file, by service name (`configuredPolicies`). */
  configured?: ReadonlyMap<string, { fields: Partial<Record<PolicyKey, RawField>> }>;
  log: Logger;
  now: Clock;
}

/** One decision as the metrics count it (every evaluation, repeats included). */
export interface DecisionRecord {
  service: string;
  reason: Reason;
  direction: Direction;
  desired: number;
}

/** A service the autoscaler knows, for the API. */
export interface ServiceState {
  service: string;
  stack?: string;
  policy?: Policy;
  /** Why the policy is invalid (the service is left alone). */
  error?: string;
  problems?: PolicyProblem[];
  replicas?: number;
  /** What the last decision wanted. */
  desired?: number;
  lastDecision?: AutoscaleEvent;
  cooldownUpUntil?: number;
  cooldownDownUntil?: number;
  /** The highest recommendation in the stabilization window (what a scale-down may go to). */
  stabilizationFloor?: number;
}

export interface AutoscalerStatus {
  dryRun: boolean;
  leader: boolean;
  holder?: string;
  intervalMs: number;
  tolerance: number;
  stabilizationMs: number;
  lastEvaluation?: number;
  services: ServiceState[];
}

interface Tracked {
  state: ServiceState;
  memory: ScaleMemory;
  /** Whether `memory` was read from the store since this instance last took the lease. */
  loaded: boolean;
  lastError?: string;
}

/**
 * The autoscaler's loop: every interval, while this collector holds the lease, reads the
 * services that opted in, evaluates each against its policy (`observe` → `decide`), scales
 * through the actuator, and records every decision in the audit trail. Everything it knows
 * comes through the ports; everything it decides comes from the pure core.
 */
export class Autoscaler {
  private readonly loop: Periodic;
  private readonly tracked = new Map<string, Tracked>();
  private readonly listeners = new Set<(d: DecisionRecord) => void>();
  private lastEvaluation: number | undefined;
  private wasLeader = false;
  readonly intervalMs: number;
  readonly tolerance: number;
  readonly stabilizationMs: number;

  constructor(private readonly o: AutoscalerOptions) {
    this.intervalMs = o.intervalMs ?? 15_000;
    this.tolerance = o.tolerance ?? 0.1;
    this.stabilizationMs = o.stabilizationMs ?? 300_000;
    this.loop = new Periodic(
      { name: "autoscale", intervalMs: this.intervalMs, timeoutMs: Math.max(this.intervalMs, 10_000), onError: (err) => o.log.warn({ err: (err as Error).message }, "autoscale evaluation failed") },
      (signal) => this.evaluate(signal),
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Evaluates now (the loop does it every interval); resolves when done. */
  tick(): Promise<void> {
    return this.loop.tick();
  }

  /** Hears every decision, repeats included (for counters). */
  onDecision(listener: (d: DecisionRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The stack of a service the autoscaler tracks (for notices and stack-limited answers). */
  stackOf(service: string): string | undefined {
    return this.tracked.get(service)?.state.stack;
  }

  status(): AutoscalerStatus {
    return {
      dryRun: this.o.dryRun ?? false,
      leader: this.o.lease ? this.o.lease.held() : true,
      holder: this.o.lease?.holder,
      intervalMs: this.intervalMs,
      tolerance: this.tolerance,
      stabilizationMs: this.stabilizationMs,
      lastEvaluation: this.lastEvaluation,
      services: [...this.tracked.values()].map((t) => ({ ...t.state, lastDecision: this.o.audit.last(t.state.service) })).sort((a, b) => a.service.localeCompare(b.service)),
    };
  }

  private async evaluate(signal: AbortSignal): Promise<void> {
    const leader = this.o.lease ? this.o.lease.held() || (await this.o.lease.hold()) : true;
    if (leader !== this.wasLeader) this.o.log.info({ leader, holder: this.o.lease?.holder }, leader ? "autoscaler acting (lease held)" : "autoscaler standing by (another collector holds the lease)");
    // Another collector may have acted while this one stood by: what it remembers is read again.
    if (leader && !this.wasLeader) {
      for (const t of this.tracked.values()) t.loaded = false;
      this.o.memory?.reset?.();
    }
    this.wasLeader = leader;
    if (!leader) return;
    const services = await this.o.services.services(signal);
    const now = this.o.now();
    this.lastEvaluation = now;
    const seen = new Set<string>();
    await Promise.all(
      services.map(async (s) => {
        const result = policyFor(s.name, s.labels, this.o.configured?.get(s.name));
        if (!result) return;
        seen.add(s.name);
        const t = this.track(s);
        try {
          if (!(await this.load(t))) return;
          await this.evaluateService(s, result, t, now, signal);
        } catch (err) {
          this.o.log.warn({ service: s.name, err: (err as Error).message }, "autoscale evaluation of a service failed");
        }
      }),
    );
    for (const name of this.tracked.keys()) if (!seen.has(name)) this.tracked.delete(name);
  }

  private track(s: AutoscaleService): Tracked {
    let t = this.tracked.get(s.name);
    if (!t) {
      t = { state: { service: s.name }, memory: emptyMemory(), loaded: this.o.memory === undefined };
      this.tracked.set(s.name, t);
    }
    t.state.stack = s.stack;
    t.state.replicas = s.replicas;
    return t;
  }

  /**
   * Reads the service's memory from the store once per lease taken. When the store cannot be
   * read the service waits for the next evaluation: deciding without the memory could scale
   * again right after the previous holder did.
   */
  private async load(t: Tracked): Promise<boolean> {
    if (t.loaded || !this.o.memory) return true;
    const r = await this.o.memory.load(t.state.service);
    if (!r.ok) {
      if (t.lastError !== r.error) this.o.log.warn({ service: t.state.service, err: r.error }, "autoscale memory cannot be read: service not evaluated until it can");
      t.lastError = r.error;
      return false;
    }
    t.memory = r.memory ?? emptyMemory();
    t.loaded = true;
    return true;
  }

  private async save(t: Tracked): Promise<void> {
    if (!this.o.memory) return;
    try {
      await this.o.memory.save(t.state.service, t.memory);
    } catch (err) {
      this.o.log.warn({ service: t.state.service, err: (err as Error).message }, "autoscale memory not saved: a collector taking over now would not see the latest decision");
    }
  }

  private async evaluateService(s: AutoscaleService, result: NonNullable<ReturnType<typeof policyFor>>, t: Tracked, now: number, signal: AbortSignal): Promise<void> {
    const current = s.replicas ?? 0;
    if (!result.ok || s.mode !== "replicated") {
      const message = result.ok ? `service ${s.name} is ${s.mode}, not replicated: only replicated services can be scaled` : result.message;
      t.state.policy = undefined;
      t.state.error = message;
      t.state.problems = result.ok ? [] : result.problems;
      if (t.lastError !== message) this.o.log.warn({ service: s.name, problems: t.state.problems }, message);
      t.lastError = message;
      this.record(s.name, { reason: "invalid_policy", direction: "none", current, desired: current, message }, {}, false, now);
      return;
    }
    const policy = result.policy;
    t.state.policy = policy;
    t.state.error = undefined;
    t.state.problems = undefined;
    t.lastError = undefined;
    const windowMs = policy.stabilizationMs ?? this.stabilizationMs;
    const updateInProgress = UPDATE_IN_PROGRESS.has(s.updateState);

    let obs: Observation = { recommendation: { ok: false, reason: "missing_metrics", message: "not read during an update" }, inputs: {} };
    if (!updateInProgress && current >= policy.min && current <= policy.max && !(current === 0 && policy.min > 0)) {
      try {
        obs = await observe(policy, s, current, { metrics: this.o.metrics, queues: this.o.queues }, this.tolerance, signal);
      } catch (err) {
        obs = { recommendation: { ok: false, reason: "missing_metrics", message: `metric read failed: ${(err as Error).message}` }, inputs: {} };
      }
    }
    const behavior = { min: policy.min, max: policy.max, cooldownUpMs: policy.cooldownUpMs, cooldownDownMs: policy.cooldownDownMs, stabilizationMs: windowMs };
    let decision = decide(t.memory, { behavior, current, updateInProgress, updateState: s.updateState, recommendation: obs.recommendation }, now);
    if (obs.recommendation.ok && !updateInProgress) remember(t.memory, obs.recommendation.replicas, now, windowMs);
    const rec = obs.recommendation;
    const inputs: Record<string, unknown> = {
      metric: metricText(policy),
      target: policy.target,
      targetUnit: policy.targetUnit,
      min: policy.min,
      max: policy.max,
      updateState: s.updateState,
      version: s.version,
      ...(rec.ok ? { observed: round(rec.observed), ratio: Number.isFinite(rec.ratio) ? round(rec.ratio) : String(rec.ratio), recommended: rec.replicas, counted: rec.counted } : {}),
      ...(decision.stabilized !== undefined ? { stabilized: decision.stabilized } : {}),
      ...obs.inputs,
    };

    let dryRun = this.o.dryRun ?? false;
    if (decision.reason === "scaled") {
      if (this.o.lease && !this.o.lease.held()) return; // lost the lease while evaluating: the new holder decides
      const r = await this.o.actuator.scale(s.id, decision.desired, { dryRun, signal });
      if (r.ok) {
        scaled(t.memory, decision.direction, now);
        dryRun = r.dryRun;
        if (dryRun) decision = { ...decision, reason: "dry_run", message: `dry run: would scale ${decision.message}` };
        inputs.attempts = r.attempts;
      } else {
        decision = { ...decision, reason: r.reason === "update_in_progress" ? "update_in_progress" : "failed", direction: decision.direction, message: r.message };
        inputs.attempts = r.attempts;
        inputs.wanted = decision.desired;
      }
    }
    t.state.desired = decision.desired;
    t.state.cooldownUpUntil = t.memory.lastScaleUp !== undefined ? t.memory.lastScaleUp + policy.cooldownUpMs : undefined;
    t.state.cooldownDownUntil = t.memory.lastScaleDown !== undefined ? t.memory.lastScaleDown + policy.cooldownDownMs : undefined;
    t.state.stabilizationFloor = t.memory.recommendations.length > 0 ? Math.max(...t.memory.recommendations.map((r) => r.replicas)) : undefined;
    await this.save(t);
    if (decision.reason === "scaled" || decision.reason === "failed") {
      this.o.log.info({ service: s.name, from: decision.current, to: decision.desired, reason: decision.reason, inputs }, decision.message);
    }
    this.record(s.name, decision, inputs, dryRun, now);
  }

  private record(service: string, d: Decision, inputs: Record<string, unknown>, dryRun: boolean, now: number): void {
    // Only what was done is "scaled"; a failed attempt keeps its direction for the record.
    const direction = d.reason === "scaled" || d.reason === "dry_run" || d.reason === "failed" ? d.direction : "none";
    this.o.audit.record({ time: now, service, reason: d.reason, direction, from: d.current, to: d.reason === "failed" ? d.current : d.desired, dryRun, message: d.message, inputs });
    for (const l of this.listeners) {
      try {
        l({ service, reason: d.reason, direction, desired: d.desired });
      } catch (err) {
        this.o.log.warn({ err: (err as Error).message }, "autoscale decision listener failed");
      }
    }
  }
}

function metricText(p: Policy): string {
  const m = p.metric;
  return m.kind === "check" ? `check:${m.path}` : m.kind === "nats" ? `nats:${m.stream}/${m.consumer}` : m.kind;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
