import type { Logger } from "../../lib/log.js";
import { Periodic } from "../../lib/periodic.js";
import { evaluateRules, firingAlerts, type Evaluation } from "./evaluate.js";
import { formatProblem, loadRules, type RuleProblem } from "./load.js";
import type { Rule } from "./rules.js";
import type { AlertSource } from "./source.js";
import type { Alert, AlertInstance } from "./state.js";
import type { AlertStore, HistoryRow } from "./store.js";

/** Where alerts go after each evaluation (the notifier). */
export interface AlertSink {
  /** Every firing alert, plus those resolved by this evaluation. */
  submit(alerts: readonly Alert[], now: number): void;
}

export interface AlertEngineOptions {
  /** Rule files or directories (the shipped `alerts/` plus `alerts.dir`). */
  ruleTargets: readonly string[];
  source: AlertSource;
  store: AlertStore;
  sink?: AlertSink;
  /** Evaluation interval. */
  intervalMs: number;
  log: Logger;
  /** Wall clock in Unix ms (alerts carry real times). */
  now?: () => number;
}

export class RuleLoadError extends Error {
  override readonly name = "RuleLoadError";
  constructor(readonly problems: RuleProblem[]) {
    super(`invalid alert rules:\n  ${problems.map(formatProblem).join("\n  ")}`);
  }
}

export type ReloadResult = { ok: true; rules: number } | { ok: false; problems: string[] };

/**
 * Evaluates the rules every interval against the source, keeps open alerts on disk and hands
 * them to the sink. Rules are loaded at construction (bad rules stop start-up) and on `reload()`
 * (bad rules keep the previous ones, and the answer says why).
 */
export class AlertEngine {
  private rules: Rule[];
  private state: Map<string, Map<string, AlertInstance>>;
  private readonly loop: Periodic;
  private readonly now: () => number;
  /** Evaluations run and rules failed, for /metrics. */
  readonly stats = { evaluations: 0, reloads: 0, reloadFailures: 0, lastEvaluationMs: 0 };

  constructor(private readonly options: AlertEngineOptions) {
    this.now = options.now ?? (() => Date.now());
    const loaded = loadRules(options.ruleTargets);
    if (!loaded.ok) throw new RuleLoadError(loaded.problems);
    this.rules = loaded.rules;
    this.state = options.store.loadInstances();
    this.loop = new Periodic({ name: "alert-evaluation", intervalMs: options.intervalMs, onError: (err) => options.log.error({ err: (err as Error).message }, "alert evaluation failed") }, async () => {
      this.evaluate();
    });
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** One evaluation now (the loop calls it; tests and the integrator may too). */
  evaluate(now: number = this.now()): Evaluation {
    const started = performance.now();
    const result = evaluateRules(this.rules, this.state, this.options.source, now);
    this.options.store.saveEvaluation(result.state, result.transitions);
    this.state = result.state;
    for (const t of result.transitions) this.options.log.info({ alert: t.rule, labels: t.labels, from: t.from, to: t.to, value: t.value, reason: t.reason }, "alert state changed");
    const resolved = result.notifications.filter((n) => n.status === "resolved");
    this.options.sink?.submit([...firingAlerts(this.state), ...resolved], now);
    this.stats.evaluations++;
    this.stats.lastEvaluationMs = performance.now() - started;
    return result;
  }

  /** Reads the rule files again; on any problem the previous rules stay and the problems are returned. */
  reload(): ReloadResult {
    this.stats.reloads++;
    const loaded = loadRules(this.options.ruleTargets);
    if (!loaded.ok) {
      this.stats.reloadFailures++;
      const problems = loaded.problems.map(formatProblem);
      this.options.log.error({ problems }, "alert rules not reloaded: keeping the previous rules");
      return { ok: false, problems };
    }
    this.rules = loaded.rules;
    this.options.log.info({ rules: loaded.rules.length, files: loaded.files.length }, "alert rules reloaded");
    return { ok: true, rules: loaded.rules.length };
  }

  listRules(): readonly Rule[] {
    return this.rules;
  }

  /** Open alerts (pending and firing). */
  active(): AlertInstance[] {
    const out: AlertInstance[] = [];
    for (const m of this.state.values()) out.push(...m.values());
    return out.sort((a, b) => a.activeAt - b.activeAt || a.fingerprint.localeCompare(b.fingerprint));
  }

  history(from: number, to: number, limit: number): HistoryRow[] {
    return this.options.store.history(from, to, limit);
  }
}
