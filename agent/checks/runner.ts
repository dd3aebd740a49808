import { CheckResult, type StatusPayload } from "../../protocol/index.js";
import { Periodic, type Logger } from "../../lib/index.js";
import type { Emitter, Source } from "../source.js";
import { configuredChecks, type CheckConfigInput, type CheckDefinition } from "./config.js";
import { probeHttp } from "./http-probe.js";
import { judge } from "./judge.js";
import { checkFromLabels, type CheckTarget } from "./labels.js";
import { Limiter } from "./limiter.js";
import type { ProbeOutcome } from "./probe.js";
import { probeTcp } from "./tcp-probe.js";
import { applyRun, initialThresholdState, type ThresholdState } from "./thresholds.js";

export interface CheckRunnerOptions {
  /** Checks of the `checks:` configuration section. */
  checks?: readonly CheckConfigInput[];
  /** Lists the containers whose `vigie.check.*` labels declare checks; `false` turns discovery off. */
  listTargets?: (() => Promise<CheckTarget[]>) | false;
  /** How often containers are listed again. Default 10 s. */
  discoveryIntervalMs?: number;
  /** Probes running at once on this node. Default 16. */
  concurrency?: number;
  /** Each check's first run waits a random delay up to min(its interval, this). Default 10 s. */
  maxJitterMs?: number;
  /** Results are batched and published this often. Default 1 s. */
  flushIntervalMs?: number;
  log: Logger;
  /** Wall clock, Unix ms. */
  now?: () => number;
  random?: () => number;
  /** The probe; tests of scheduling inject a fake. Default: HTTP(S) or TCP over the network. */
  probe?: (def: CheckDefinition, signal: AbortSignal) => Promise<ProbeOutcome>;
}

/** A check as the runner holds it: its definition, thresholded state and last result. */
export interface CheckView {
  definition: CheckDefinition;
  source: "config" | "labels";
  state: ThresholdState;
  last?: CheckResult;
}

interface Scheduled extends CheckView {
  loop: Periodic;
  jitter?: NodeJS.Timeout;
  stopped: boolean;
}

const MAX_PENDING = 10_000;
const BATCH = 200;
/** Results per message stay well under the collector's 1 MiB message limit. */
const BATCH_BYTES = 256 * 1024;

/**
 * A `Source`: `start(emitter)` runs the node's status checks: the configured ones and those discovered on containers. Each
 * check has its own loop (lib/periodic: no overlap, a timeout, never dies) started after a random
 * jitter; a limiter bounds how many probes run at once, so a hanging endpoint holds one slot for
 * at most its timeout and never delays the others beyond that. Results are batched into
 * `status` messages together with the ids of every active check, so the collector forgets
 * checks of containers that went away.
 */
export class CheckRunner implements Source {
  readonly name = "checks";
  readonly stats = { runs: 0, skipped: 0, dropped: 0, invalid: 0, discoveryErrors: 0, published: 0 };
  private readonly checks = new Map<string, Scheduled>();
  private readonly configured: CheckDefinition[];
  private readonly limiter: Limiter;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly probe: (def: CheckDefinition, signal: AbortSignal) => Promise<ProbeOutcome>;
  private pending: CheckResult[] = [];
  private activeChanged = true;
  private discovery: Periodic | undefined;
  private readonly flusher: Periodic;
  private discoveryFailing = false;
  private started = false;
  private emitter: Emitter | undefined;

  /** Throws when a configured check is invalid (its conditions included). */
  constructor(private readonly options: CheckRunnerOptions) {
    this.configured = configuredChecks(options.checks ?? []);
    this.limiter = new Limiter(options.concurrency ?? 16);
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.probe = options.probe ?? defaultProbe;
    this.flusher = new Periodic({ name: "checks-publish", intervalMs: options.flushIntervalMs ?? 1000, runAtStart: false, reuseSignal: true, onError: (err) => this.logError("publishing check results failed", err) }, () =>
      this.flush(),
    );
  }

  /** Starts every check, discovery, and the batching of results into `status` messages for `emitter`. */
  start(emitter: Emitter): void {
    if (this.started) return;
    this.started = true;
    this.emitter = emitter;
    for (const def of this.configured) this.add(def, "config");
    if (this.options.listTargets !== false && this.options.listTargets !== undefined) {
      this.discovery = new Periodic(
        { name: "checks-discovery", intervalMs: this.options.discoveryIntervalMs ?? 10_000, onError: (err) => this.logError("check discovery failed", err) },
        () => this.discover(),
      );
      this.discovery.start();
    }
    this.flusher.start();
  }

  async stop(): Promise<void> {
    // The checks stop with the agent, they are not gone: the last message keeps them active.
    const active = [...this.checks.keys()];
    await this.discovery?.stop();
    await Promise.all([...this.checks.values()].map((s) => this.remove(s)));
    await this.flusher.stop();
    await this.flush(active);
    this.started = false;
  }

  /** The checks and their current state. */
  list(): CheckView[] {
    return [...this.checks.values()].map(({ definition, source, state, last }) => ({ definition, source, state, last }));
  }

  /** Lists containers now and reconciles the label checks with them. */
  async discover(): Promise<void> {
    const list = this.options.listTargets;
    if (!list) return;
    let targets: CheckTarget[];
    try {
      targets = await list();
    } catch (err) {
      // Docker unreachable: keep what runs, say it once per outage.
      this.stats.discoveryErrors++;
      if (!this.discoveryFailing) this.logError("cannot list containers for check discovery; keeping the current checks", err);
      this.discoveryFailing = true;
      return;
    }
    if (this.discoveryFailing) this.options.log.info("container listing for check discovery works again");
    this.discoveryFailing = false;
    const desired = new Map<string, CheckDefinition>();
    for (const t of targets) {
      const def = checkFromLabels(t);
      if (def) desired.set(def.id, def);
    }
    for (const s of [...this.checks.values()]) {
      if (s.source !== "labels") continue;
      const want = desired.get(s.definition.id);
      if (!want || want.fingerprint !== s.definition.fingerprint) {
        await this.remove(s);
        if (!want) this.options.log.info({ check: s.definition.id }, "container gone: check stopped");
      }
    }
    for (const def of desired.values()) if (!this.checks.has(def.id)) this.add(def, "labels");
  }

  /** Runs one check now (outside its schedule); resolves when its result is recorded. */
  async runNow(id: string): Promise<CheckResult | undefined> {
    const s = this.checks.get(id);
    if (!s) return undefined;
    await s.loop.tick();
    return s.last;
  }

  /** Emits pending results (and the active check ids) now. */
  async flush(activeIds?: string[]): Promise<void> {
    const emitter = this.emitter;
    if (!emitter || (this.pending.length === 0 && !this.activeChanged)) return;
    const results = this.pending;
    this.pending = [];
    this.activeChanged = false;
    const active = activeIds ?? [...this.checks.keys()];
    const time = this.now();
    try {
      if (results.length === 0) await emitter.emit("status", { results: [], active } satisfies StatusPayload, time);
      for (const batch of batches(results)) await emitter.emit("status", { results: batch, active }, time);
      this.stats.published += results.length;
    } catch (err) {
      this.pending = [...results, ...this.pending].slice(-MAX_PENDING);
      this.activeChanged = true;
      throw err;
    }
  }

  private add(definition: CheckDefinition, source: CheckView["source"]): void {
    if (definition.configError) this.options.log.warn({ check: definition.id, reason: definition.configError }, "check cannot run: reported in error state");
    else this.options.log.info({ check: definition.id, url: redact(definition.url), intervalMs: definition.intervalMs }, "check added");
    const s: Scheduled = {
      definition,
      source,
      state: definition.configError ? { state: "error", since: this.now(), successes: 0, failures: 0 } : initialThresholdState(this.now()),
      stopped: false,
      loop: new Periodic(
        {
          name: `check ${definition.id}`,
          intervalMs: definition.intervalMs,
          timeoutMs: definition.intervalMs + definition.timeoutMs,
          onError: (err) => this.logError(`check ${definition.id} run failed`, err),
        },
        (signal) => this.runOnce(s, signal),
      ),
    };
    this.checks.set(definition.id, s);
    this.activeChanged = true;
    // A check in error costs nothing to report: it goes out at once, so the reason is seen soon.
    const delay = definition.configError ? 0 : Math.floor(this.random() * Math.min(definition.intervalMs, this.options.maxJitterMs ?? 10_000));
    s.jitter = setTimeout(() => {
      s.jitter = undefined;
      if (!s.stopped) s.loop.start();
    }, delay);
    s.jitter.unref();
  }

  private async remove(s: Scheduled): Promise<void> {
    s.stopped = true;
    if (s.jitter) clearTimeout(s.jitter);
    if (this.checks.get(s.definition.id) === s) {
      this.checks.delete(s.definition.id);
      this.activeChanged = true;
    }
    await s.loop.stop();
  }

  private async runOnce(s: Scheduled, signal: AbortSignal): Promise<void> {
    const def = s.definition;
    if (def.configError) {
      this.record(s, {
        ...this.identity(def),
        time: Math.floor(this.now()),
        up: false,
        status: "unknown",
        state: "error",
        stateSince: Math.floor(s.state.since),
        durationSeconds: 0,
        error: { type: "config", message: def.configError.slice(0, 2048) },
      });
      return;
    }
    let release: () => void;
    try {
      release = await this.limiter.acquire(signal);
    } catch {
      this.stats.skipped++;
      return;
    }
    let outcome: ProbeOutcome;
    const time = Math.floor(this.now());
    try {
      outcome = await this.probe(def, signal);
    } finally {
      release();
    }
    if (s.stopped) return;
    const verdict = judge(def, outcome, this.now());
    s.state = applyRun(s.state, verdict.up, this.now(), def);
    this.stats.runs++;
    this.record(s, { ...this.identity(def), time, ...verdict, state: s.state.state, stateSince: Math.floor(s.state.since) });
  }

  private identity(def: CheckDefinition): Pick<CheckResult, "check" | "target" | "resource"> {
    const target: CheckResult["target"] = {};
    if (def.url) target.url = redact(def.url);
    if (def.url && def.type === "http") target.method = def.method;
    return { check: { id: def.id, name: def.name, type: def.type, intervalSeconds: def.intervalMs / 1000 }, target, resource: def.resource };
  }

  private record(s: Scheduled, result: CheckResult): void {
    const valid = CheckResult.safeParse(result);
    if (!valid.success) {
      this.stats.invalid++;
      this.options.log.error({ check: s.definition.id, issues: valid.error.issues.slice(0, 3) }, "check result does not match the protocol; dropped");
      return;
    }
    s.last = valid.data;
    this.pending.push(valid.data);
    if (this.pending.length > MAX_PENDING) {
      this.pending.splice(0, this.pending.length - MAX_PENDING);
      this.stats.dropped++;
    }
  }

  private logError(msg: string, err: unknown): void {
    this.options.log.warn({ err: err instanceof Error ? err.message : String(err) }, msg);
  }
}

function batches(results: CheckResult[]): CheckResult[][] {
  const out: CheckResult[][] = [];
  let current: CheckResult[] = [];
  let bytes = 0;
  for (const r of results) {
    const size = JSON.stringify(r).length;
    if (current.length > 0 && (current.length >= BATCH || bytes + size > BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function defaultProbe(def: CheckDefinition, signal: AbortSignal): Promise<ProbeOutcome> {
  const url = def.url as URL;
  if (def.type === "tcp") return probeTcp({ host: url.hostname, port: Number(url.port), timeoutMs: def.timeoutMs, signal });
  return probeHttp({ url, method: def.method, headers: def.headers, timeoutMs: def.timeoutMs, insecure: def.insecure, signal });
}

/** The URL without credentials (they never leave the node). */
function redact(url: URL | undefined): string | undefined {
  if (!url) return undefined;
  if (!url.username && !url.password) return url.href;
  const u = new URL(url.href);
  u.username = "";
  u.password = "";
  return u.href;
}
