import { ATTR, type Attributes, type Event } from "../../protocol/index.js";
import type { Labels } from "./matchers.js";

/** Bounds: an agent may send any number of events; the counters must not grow with them. */
export const EVENT_COUNTER_LIMITS = { series: 10_000, pointsPerSeries: 256 } as const;

interface Counter {
  labels: Labels;
  /** Cumulative count after each event: [time, count], oldest first. */
  points: [number, number][];
  total: number;
}

/**
 * Cumulative counts of container events (exits, OOM kills) per container, kept in memory from the
 * model's `event` changes: the engine's `increase` over a window then reads restarts and kills.
 *
 * A Swarm task's containers are one container for this count: a crash-looping task is replaced by
 * a new container (a new name) at every exit, so counting per name would never see a loop. They
 * are named `<service>.<slot>`, as Swarm names the task.
 *
 * Counts start at zero when the collector starts (events are not replayed from the stream); a
 * rule on them should keep firing across that gap (`keep_firing_for`).
 */
export class EventCounters {
  private readonly counters = new Map<string, Counter>();
  /** Events not counted because the series bound was reached. */
  dropped = 0;

  constructor(private readonly actions: ReadonlySet<string>) {}

  /** Counts one event if it is a container event of a counted action. `time` is when it happened (Unix ms). */
  add(hostname: string, event: Event, time: number): void {
    if (event.type !== "container" || !this.actions.has(event.action)) return;
    const labels = containerIdentity(hostname, event.resource);
    if (!labels) return;
    const key = `${labels.node}\u0000${labels.container}`;
    let c = this.counters.get(key);
    if (!c) {
      if (this.counters.size >= EVENT_COUNTER_LIMITS.series) {
        this.dropped++;
        return;
      }
      this.counters.set(key, (c = { labels, points: [], total: 0 }));
    }
    c.total++;
    // Events may arrive out of order (two agents' batches, redeliveries of older ones): keep time order.
    const last = c.points[c.points.length - 1];
    const t = last && time < last[0] ? last[0] : time;
    c.points.push([t, c.total]);
    if (c.points.length > EVENT_COUNTER_LIMITS.pointsPerSeries) c.points.splice(0, c.points.length - EVENT_COUNTER_LIMITS.pointsPerSeries);
  }

  /**
   * Every counter with its points in [from, to], framed by its value at `from` and at `to` so that
   * an increase over the window counts the first event in it too.
   */
  series(from: number, to: number): { labels: Labels; points: [number, number][] }[] {
    const out: { labels: Labels; points: [number, number][] }[] = [];
    for (const c of this.counters.values()) {
      let before = 0;
      const inside: [number, number][] = [];
      for (const p of c.points) {
        if (p[0] < from) before = p[1];
        else if (p[0] <= to) inside.push(p);
      }
      const at = inside.length > 0 ? (inside[inside.length - 1] as [number, number])[1] : before;
      out.push({ labels: c.labels, points: [[from, before], ...inside, [to, at]] });
    }
    return out;
  }

  /** Forgets counters with no event since `before` (containers long gone). */
  prune(before: number): void {
    for (const [k, c] of this.counters) {
      const last = c.points[c.points.length - 1];
      if (!last || last[0] < before) this.counters.delete(k);
    }
  }
}

/** The container scope's labels of a container resource: node, container, service, stack. */
export function containerIdentity(hostname: string, resource: Attributes): Labels | undefined {
  const str = (k: string) => (resource[k] !== undefined ? String(resource[k]) : undefined);
  const swarmService = str(ATTR.swarmServiceName);
  const slot = str(ATTR.swarmTaskSlot);
  const container = swarmService && slot ? `${swarmService}.${slot}` : str(ATTR.containerName);
  if (!container) return undefined;
  return { node: hostname, container, service: swarmService ?? str(ATTR.serviceName) ?? "", stack: str(ATTR.serviceNamespace) ?? "" };
}
