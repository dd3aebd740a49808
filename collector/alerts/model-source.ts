import { ATTR, METRIC } from "../../protocol/index.js";
import type { ClusterModel } from "../model/index.js";
import { containerIdentity, EventCounters } from "./event-counters.js";
import type { Labels } from "./matchers.js";
import type { SignalName } from "./signals.js";
import type { AlertSource, SignalSeries } from "./source.js";

/** Error log records per second of the matching services over a window; the log store answers it. */
export type LogRate = (filter: { service?: string; stack?: string; node?: string; minSeverity: number }, windowMs: number, now: number) => number;

export interface ModelSourceOptions {
  /** The error-log rate, when the log store is on; without it `log_error_rate` has no source (its alerts say data is missing). */
  logRate?: LogRate;
}

/** OpenTelemetry severityNumber of ERROR. */
const ERROR_SEVERITY = 17;
/** Swarm update states that mean a rolling update is stuck (see `signals.ts`). */
const STUCK_UPDATES = new Set(["paused", "rollback_started", "rollback_paused", "rollback_completed"]);

type Point = [number, number];

/**
 * The collector's model as the alert engine's `AlertSource`: one reading of every signal of
 * `signals.ts`. Metrics come from the history (samples over its window); states (a node reporting,
 * a container's health, replicas, update state, quorum, a check's certificate) are read now and
 * given as one sample at the evaluation's time, so `for` counts across evaluations; check results
 * from each check's recent runs; container exits and OOM kills from the model's events, counted
 * here (`event-counters.ts`).
 *
 * Subscribe with `attach(model)` before the stream is replayed (`onModel`), so no event is missed.
 */
export class ModelAlertSource implements AlertSource {
  private readonly exits = new EventCounters(new Set(["die"]));
  private readonly ooms = new EventCounters(new Set(["oom"]));
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly model: ClusterModel,
    private readonly options: ModelSourceOptions = {},
  ) {}

  /** Starts counting the model's events; returns the function that stops. */
  attach(): () => void {
    this.unsubscribe.push(
      this.model.on("event", (c) => {
        const time = eventTime(c.event.timeUnixNano);
        this.exits.add(c.hostname, c.event, time);
        this.ooms.add(c.hostname, c.event, time);
      }),
    );
    return () => this.detach();
  }

  detach(): void {
    for (const u of this.unsubscribe.splice(0)) u();
  }

  /** Forgets event counts older than `before` (called now and then by the owner). */
  prune(before: number): void {
    this.exits.prune(before);
    this.ooms.prune(before);
  }

  series(signal: SignalName, from: number, to: number): readonly SignalSeries[] | undefined {
    switch (signal) {
      case "node_reporting":
        return this.model.nodes(to).map((n) => ({ labels: { node: n.node.hostname }, points: [[to, n.status === "up" ? 1 : 0]] }));
      case "node_cpu_utilization":
        return this.cpu(from, to);
      case "node_memory_utilization":
        return ratio(this.byNode(METRIC.memoryAvailable, from, to), this.byNode(METRIC.memoryLimit, from, to));
      case "node_filesystem_utilization":
        return ratio(this.filesystems(METRIC.filesystemUsage, from, to, "free"), this.filesystems(METRIC.filesystemLimit, from, to));
      case "node_filesystem_avail_bytes":
        return this.filesystems(METRIC.filesystemUsage, from, to, "free");
      case "container_restarts":
        return this.exits.series(from, to);
      case "container_oom_kills":
        return this.ooms.series(from, to);
      case "container_unhealthy":
        return this.unhealthy(to);
      case "service_replicas_missing":
      case "service_update_stuck":
        return this.services(signal, to);
      case "cluster_manager_quorum_margin": {
        const view = this.model.swarm.view();
        if (!view) return undefined;
        // A single manager has no margin by design: no series, as the exported rule says.
        if (view.managers.total <= 1) return [];
        return [{ labels: {}, points: [[to, view.managers.reachable - view.managers.quorum]] }];
      }
      case "check_success":
      case "check_certificate_expiry":
        return this.checks(signal, from, to);
      case "log_error_rate":
        return this.logErrors(from, to);
    }
  }

  /** 100 × (1 − idle / all modes) from the CPU time rates (the history keeps counters as rates). */
  private cpu(from: number, to: number): SignalSeries[] {
    const total = new Map<string, Map<number, number>>();
    const idle = new Map<string, Map<number, number>>();
    for (const s of this.model.history.select(METRIC.cpuTime)) {
      const node = s.labels.node;
      if (node === undefined) continue;
      const isIdle = s.labels[ATTR.cpuMode] === "idle";
      s.ring.forEach(from, to, (t, v) => {
        add(total, node, t, v);
        if (isIdle) add(idle, node, t, v);
      });
    }
    const out: SignalSeries[] = [];
    for (const [node, byTime] of total) {
      const idleOf = idle.get(node);
      const points: Point[] = [];
      for (const [t, all] of [...byTime].sort((a, b) => a[0] - b[0])) if (all > 0) points.push([t, clampPercent(100 * (1 - (idleOf?.get(t) ?? 0) / all))]);
      out.push({ labels: { node }, points });
    }
    return out;
  }

  /** A host metric summed per node and time (host series only: container series carry a container name). */
  private byNode(metric: string, from: number, to: number): Map<string, Map<number, number>> {
    const out = new Map<string, Map<number, number>>();
    for (const s of this.model.history.select(metric)) {
      if (s.labels[ATTR.containerName] !== undefined || s.labels.node === undefined) continue;
      const node = s.labels.node;
      s.ring.forEach(from, to, (t, v) => add(out, node, t, v));
    }
    return out;
  }

  /** A filesystem metric per node and mountpoint (the largest device on a mountpoint), optionally of one state. */
  private filesystems(metric: string, from: number, to: number, state?: string): SignalSeries[] {
    const groups = new Map<string, { labels: Labels; byTime: Map<number, number> }>();
    for (const s of this.model.history.select(metric)) {
      const node = s.labels.node;
      const mountpoint = s.labels[ATTR.filesystemMountpoint];
      if (node === undefined || mountpoint === undefined || (state !== undefined && s.labels[ATTR.filesystemState] !== state)) continue;
      const key = `${node}\u0000${mountpoint}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { labels: { node, mountpoint }, byTime: new Map() }));
      const byTime = g.byTime;
      s.ring.forEach(from, to, (t, v) => byTime.set(t, Math.max(byTime.get(t) ?? -Infinity, v)));
    }
    return [...groups.values()].map((g) => ({ labels: g.labels, points: sorted(g.byTime) }));
  }

  private unhealthy(to: number): SignalSeries[] {
    const out = new Map<string, SignalSeries>();
    for (const c of this.model.containers()) {
      const labels = containerIdentity(c.node, {
        [ATTR.containerName]: c.name,
        ...(c.swarmService ? { [ATTR.swarmServiceName]: c.swarmService } : {}),
        ...(c.slot !== null ? { [ATTR.swarmTaskSlot]: c.slot } : {}),
        ...(c.service ? { [ATTR.serviceName]: c.service } : {}),
        ...(c.stack ? { [ATTR.serviceNamespace]: c.stack } : {}),
      });
      if (!labels) continue;
      const v = c.health === "unhealthy" ? 1 : 0;
      const key = `${labels.node}\u0000${labels.container}`;
      // Two containers of one task slot (the old one leaving): the unhealthy one counts.
      const prev = out.get(key);
      if (!prev || v > ((prev.points[0] as Point | undefined)?.[1] ?? 0)) out.set(key, { labels, points: [[to, v]] });
    }
    return [...out.values()];
  }

  private services(signal: "service_replicas_missing" | "service_update_stuck", to: number): SignalSeries[] | undefined {
    const view = this.model.swarm.view();
    if (!view) return undefined;
    return view.services
      .filter((s) => s.mode !== "job")
      .map((s) => ({
        labels: { service: s.name, stack: s.stack ?? "" },
        points: [[to, signal === "service_replicas_missing" ? Math.max(0, s.desired - s.running) : STUCK_UPDATES.has(s.updateState) ? 1 : 0]],
      }));
  }

  /** Each check's recent runs (1 up, 0 down), or the seconds left on its certificate; a stale check has no sample. */
  private checks(signal: "check_success" | "check_certificate_expiry", from: number, to: number): SignalSeries[] {
    const out: SignalSeries[] = [];
    for (const rec of this.model.checks.list()) {
      const r = rec.last;
      // The labels of probe_success in /metrics, so that the exported rules say the same.
      const labels = { check: r.check.name, service: String(r.resource[ATTR.serviceName] ?? ""), node: rec.node.hostname };
      const stale = this.model.checks.isStale(rec, to);
      if (signal === "check_success") {
        const points: Point[] = stale ? [] : rec.recent.filter((x) => x.time >= from && x.time <= to).map((x): Point => [x.time, x.up ? 1 : 0]).reverse();
        out.push({ labels, points });
        continue;
      }
      if (!r.tls) continue;
      const notAfter = Date.parse(r.tls.notAfter);
      if (!Number.isFinite(notAfter)) continue;
      out.push({ labels, points: stale ? [] : [[to, (notAfter - to) / 1000]] });
    }
    return out;
  }

  /** The error rate of every service known to the model, from the log store; none without it. */
  private logErrors(from: number, to: number): SignalSeries[] | undefined {
    const rate = this.options.logRate;
    if (!rate) return undefined;
    return this.model.services().map((s) => {
      const filter = { ...(s.service ? { service: s.service } : {}), ...(s.stack ? { stack: s.stack } : {}), minSeverity: ERROR_SEVERITY };
      const v = rate(filter, to - from, to);
      return { labels: { service: s.name, stack: s.stack ?? "" }, points: Number.isFinite(v) ? [[to, v] as Point] : [] };
    });
  }
}

/** 100 × (1 − part / whole) per node and time, where both have a sample. */
type Grouped = Map<string, { labels: Labels; byTime: Map<number, number> }>;

function grouped(x: Map<string, Map<number, number>> | SignalSeries[]): Grouped {
  const out: Grouped = new Map();
  if (x instanceof Map) for (const [node, byTime] of x) out.set(node, { labels: { node }, byTime });
  else for (const s of x) out.set(JSON.stringify(s.labels), { labels: s.labels, byTime: new Map<number, number>(s.points.map(([t, v]): Point => [t, v])) });
  return out;
}

function ratio(part: Map<string, Map<number, number>> | SignalSeries[], whole: Map<string, Map<number, number>> | SignalSeries[]): SignalSeries[] {
  const asMap = grouped;
  const p = asMap(part);
  const out: SignalSeries[] = [];
  for (const [key, w] of asMap(whole)) {
    const pb = p.get(key)?.byTime;
    const points: Point[] = [];
    for (const [t, total] of sorted(w.byTime)) {
      const v = pb?.get(t);
      if (v !== undefined && total > 0) points.push([t, clampPercent(100 * (1 - v / total))]);
    }
    out.push({ labels: w.labels, points });
  }
  return out;
}

function add(m: Map<string, Map<number, number>>, key: string, t: number, v: number): void {
  let byTime = m.get(key);
  if (!byTime) m.set(key, (byTime = new Map<number, number>()));
  byTime.set(t, (byTime.get(t) ?? 0) + v);
}

function sorted(byTime: Map<number, number>): Point[] {
  return [...byTime].sort((a, b) => a[0] - b[0]);
}

function clampPercent(v: number): number {
  return Math.min(100, Math.max(0, v));
}

/** An event's time in Unix ms (the wire's nanoseconds as a decimal string; validated by ingest). */
function eventTime(ns: string): number {
  return ns.length > 6 ? Number(ns.slice(0, -6)) : 0;
}
