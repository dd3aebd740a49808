import type Docker from "dockerode";
import type { CheckRecord } from "../checks/state.js";
import type { ClusterModel, ContainerView } from "../model/index.js";
import { DockerServiceReader } from "./docker-services.js";
import type { AutoscaleService, Clock, MetricReader, ServiceReader, TaskValue } from "./ports.js";

/** What the metric reader asks of the collector's model. */
export type ModelQueries = Pick<ClusterModel, "containers" | "nodeStatus" | "checks">;

/**
 * Past these a reported number is no measurement (a broken or hostile agent): the task reads as
 * without a value, which the calculator never takes for an idle task.
 */
const MAX_CORES = 1024;
const MAX_BYTES = 2 ** 50;
const MAX_CHECK_VALUE = 1e15;
/**
 * A check's numbers count while they are at most this many of its intervals old (plus a few
 * seconds of delivery): one run that timed out keeps the last numbers, a check gone quiet does not.
 */
const CHECK_VALUE_INTERVALS = 3;
/** The model's containers are indexed at most once per this: one evaluation reads many services at once. */
const INDEX_TTL_MS = 1000;

/**
 * Per-task usage from the collector's model, as every node's agent reported it: CPU in cores (the
 * rate the history derives from the cumulative counter) and the working set in bytes, matched to
 * Swarm tasks by the task id the agent read from the container's labels (by container id when the
 * agent sent none). A task reads as without a value when its container is not in the model, is
 * claimed by two containers, is not running, belongs to another service, or its node is not up
 * (a stale node's last numbers are not today's load).
 */
export class ModelMetricReader implements MetricReader {
  private index: { at: number; byService: Map<string, ContainerView[]> } | undefined;
  private checkIndex: { at: number; byContainer: Map<string, CheckRecord[]> } | undefined;

  constructor(
    private readonly model: ModelQueries,
    private readonly now: Clock,
  ) {}

  async cpuCores(service: AutoscaleService): Promise<TaskValue[]> {
    return this.read(service, (c) => c.cpuCores, MAX_CORES);
  }

  async memoryBytes(service: AutoscaleService): Promise<TaskValue[]> {
    return this.read(service, (c) => c.memory.workingSetBytes, MAX_BYTES);
  }

  /**
   * The number at `path` of the latest status body of each task's check, as its agent extracted
   * it (`CheckResult.values`): the check runs on the task's container (`container.id` in its
   * resource) on the task's node. A task reads as without a value when it has no such check,
   * the body had no number there, or the numbers are older than three of the check's intervals;
   * with several checks on one container, the newest number wins. A negative number is no load
   * to scale on (the task reads as without a value).
   */
  async checkValue(service: AutoscaleService, path: string): Promise<TaskValue[]> {
    const now = this.now();
    const checks = this.checksByContainer(now);
    return this.read(service, (c) => {
      let best: { time: number; value: number } | undefined;
      for (const rec of checks.get(c.id) ?? []) {
        const v = rec.values;
        if (rec.node.id !== c.nodeId || !v || now - v.receivedAt > CHECK_VALUE_INTERVALS * rec.last.check.intervalSeconds * 1000 + 5000) continue;
        if (!Object.prototype.hasOwnProperty.call(v.values, path)) continue;
        const value = v.values[path] as number;
        if (!best || v.time > best.time) best = { time: v.time, value };
      }
      return best?.value ?? null;
    }, MAX_CHECK_VALUE);
  }

  private read(service: AutoscaleService, pick: (c: ContainerView) => number | null, max: number): TaskValue[] {
    const now = this.now();
    const byTask = new Map<string, ContainerView | null>();
    const byContainer = new Map<string, ContainerView>();
    for (const c of this.containersOf(service.name, now)) {
      // A task id claimed twice says nothing reliable about either container.
      if (c.taskId !== null) byTask.set(c.taskId, byTask.has(c.taskId) ? null : c);
      else byContainer.set(c.id, c);
    }
    const up = new Map<string, boolean>();
    const nodeUp = (nodeId: string) => {
      let u = up.get(nodeId);
      if (u === undefined) up.set(nodeId, (u = this.model.nodeStatus(nodeId, now) === "up"));
      return u;
    };
    return service.tasks.map((t) => {
      const c = byTask.get(t.id) ?? (t.containerId !== undefined ? byContainer.get(t.containerId) : undefined);
      if (!c || (c.state !== null && c.state !== "running") || !nodeUp(c.nodeId)) return { taskId: t.id, value: undefined };
      const v = pick(c);
      return { taskId: t.id, value: v !== null && Number.isFinite(v) && v >= 0 && v <= max ? v : undefined };
    });
  }

  /** The model's checks by the container they run on, indexed at most once per INDEX_TTL_MS. */
  private checksByContainer(now: number): Map<string, CheckRecord[]> {
    if (!this.checkIndex || now - this.checkIndex.at >= INDEX_TTL_MS || now < this.checkIndex.at) {
      const byContainer = new Map<string, CheckRecord[]>();
      for (const rec of this.model.checks.list()) {
        const id = rec.last.resource["container.id"];
        if (typeof id !== "string" || !rec.values) continue;
        const list = byContainer.get(id);
        if (list) list.push(rec);
        else byContainer.set(id, [rec]);
      }
      this.checkIndex = { at: now, byContainer };
    }
    return this.checkIndex.byContainer;
  }

  private containersOf(service: string, now: number): ContainerView[] {
    if (!this.index || now - this.index.at >= INDEX_TTL_MS || now < this.index.at) {
      const byService = new Map<string, ContainerView[]>();
      for (const c of this.model.containers()) {
        if (c.swarmService === null) continue;
        const list = byService.get(c.swarmService);
        if (list) list.push(c);
        else byService.set(c.swarmService, [c]);
      }
      this.index = { at: now, byService };
    }
    return this.index.byService.get(service) ?? [];
  }
}

/**
 * Services from the Swarm manager's engine, with each task's readiness from the health its
 * agent reported to the model. The model's Swarm view has no labels, version index or resource
 * limits, which a policy, an update and a CPU utilization need; so the spec is read from the
 * engine, the health from the model. On an engine the Swarm view found not to be a manager
 * there is nothing to scale (and nothing worth a warning every interval).
 */
export class ModelServiceReader implements ServiceReader {
  constructor(
    private readonly docker: Docker,
    private readonly model: Pick<ClusterModel, "containers" | "swarm">,
  ) {}

  async services(): Promise<AutoscaleService[]> {
    if (this.model.swarm.status === "not_manager") return [];
    const health = new Map<string, string>();
    for (const c of this.model.containers()) if (c.health !== null) health.set(c.id, c.health);
    return new DockerServiceReader(this.docker, (id) => health.get(id)).services();
  }
}
