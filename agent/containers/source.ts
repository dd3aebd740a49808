import { readFileSync, readlinkSync } from "node:fs";
import path from "node:path";
import type { Attributes, Event, ResourceMetrics } from "../../protocol/index.js";
import { Backoff, OpenFiles, type Logger } from "../../lib/index.js";
import { containersSample, type Emitter, type MetricSample, type MetricSource, type Source } from "../source.js";
import { isEngineDown, type DockerEngine, type ListedContainer } from "./engine.js";
import { splitAction, toVigieEvent, type DockerEvent } from "./events.js";
import { detectLayout, resolveContainerCgroup, type CgroupLayout, type ContainerCgroup } from "./layout.js";
import { containerResource, metaFromInspect, type ContainerMeta } from "./metadata.js";
import { encodeContainer } from "./metrics.js";
import type { ContainerStats } from "./cgroup.js";
import { readContainerStats } from "./reader.js";

export interface ContainerSourceOptions {
  /** The agent's Docker engine port (its circuit breaker is shared with check discovery). */
  engine: DockerEngine;
  /** Where the host's root is mounted (`/`, or `/host` in a container): cgroups and /proc are read under it. */
  hostRoot: string;
  /** Resource attributes of the node (host.name, node.id), added to every container's. */
  resource: Attributes;
  log: Logger;
  /** Unix time in ms, for the events Vigie makes itself (docker up/down) and the events messages. Default Date.now. */
  now?: () => number;
  /** How long events are gathered before they are handed on. Default 50 ms. */
  eventBatchMs?: number;
  /** First wait before the event stream is opened again. Default 500 ms. */
  retryInitialMs?: number;
  /** Longest wait between tries of the event stream. Default 30 s. */
  retryMaxMs?: number;
  /** Events waiting to be handed over (the emitter refused them: disk full) are bounded; the oldest go first. Default 10,000. */
  maxPendingEvents?: number;
  /**
   * While the events stream is connected, the engine's container list is asked for only every
   * this many cycles, as a safety net: events keep the set current in between. Without the
   * stream, the list is asked for every cycle. Default 6; the agent makes it a minute's worth of cycles.
   */
  listEveryCycles?: number;
}

interface Entry {
  meta: ContainerMeta;
  /** The container's resource attributes as JSON, written once. */
  resourceJson: Uint8Array;
  cgroup: ContainerCgroup | undefined;
  /** `/proc/<pid>/net/dev` under the host root, when the container has its own network namespace. */
  netDevFile: string | undefined;
  files: OpenFiles;
  /** The last cycle's numbers. */
  stats: ContainerStats | undefined;
  /** An `oom` event came: read the OOM kill count at the next cycle. */
  oomPending: boolean;
}

/**
 * Every running container on the local engine. The engine is asked for what only it knows —
 * its event stream (which keeps the set of containers current and is handed to the emitter at
 * once), one inspect per new container, and the list now and then as a safety net — and the
 * numbers come from the containers' cgroup files, never from the stats API (ARCHITECTURE.md).
 *
 * Two faces: a `MetricSource` the sampling loop asks every interval, and a `Source` whose
 * `start(emitter)` follows the events (and docker up/down) until `stop()`.
 */
export class ContainerSource implements MetricSource, Source {
  readonly name = "containers";
  private readonly engine: DockerEngine;
  private readonly unsubscribe: () => void;
  private emitter: Emitter | undefined;
  /** The events being handed over, so stop() waits for them. */
  private handing: Promise<void> = Promise.resolve();
  readonly stats = { eventsEmitted: 0, eventsRefused: 0, eventsDropped: 0 };
  private readonly cache = new Map<string, Entry>();
  private layout: CgroupLayout | undefined | null = null;
  private readonly closing = new AbortController();
  private eventsLoop: Promise<void> | undefined;
  private pending: Event[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  /** Set while refused events wait for their next try (a new event tries sooner). */
  private retryTimer: NodeJS.Timeout | undefined;
  private stream: NodeJS.ReadableStream | undefined;
  private readonly now: () => number;
  /** Containers whose cgroup could not be found, so the warning is logged once each. */
  private readonly unresolved = new Set<string>();
  /** Containers seen starting (or listed) that still need their one inspect. */
  private readonly toInspect = new Set<string>();
  private streamConnected = false;
  private cyclesSinceList = Number.POSITIVE_INFINITY;
  /**
   * Where a new events stream takes up (ns since the epoch): the last event seen, or when the
   * stream was opened. Undefined before the first stream: nothing happened that was missed.
   */
  private resumeNano: bigint | undefined;
  /** The last events' keys, so the ones a reconnect replays are forwarded once. */
  private readonly recentEvents = new Set<string>();
  /** Cuts the wait between two tries of the events stream short (the engine is back). */
  private wakeEvents: (() => void) | undefined;

  constructor(private readonly options: ContainerSourceOptions) {
    this.now = options.now ?? Date.now;
    this.engine = options.engine;
    // Subscribed from the start: a sample before start() must still see the engine go and come back.
    this.unsubscribe = this.engine.onChange((up, error, previous) => this.engineChanged(up, error, previous));
  }

  /** Starts following the engine's events, handed to `emitter` at once, not at the next cycle. */
  start(emitter: Emitter): void {
    this.emitter = emitter;
    this.eventsLoop ??= this.followEvents();
    this.flush(); // what was seen before (docker up/down)
  }

  async sample(signal?: AbortSignal): Promise<MetricSample> {
    // The OOM kill count changes only with an `oom` event: it is read after one, and with each list.
    let listed = false;
    if (!this.streamConnected || ++this.cyclesSinceList >= (this.options.listEveryCycles ?? 6)) {
      let list: ListedContainer[];
      try {
        list = await this.engine.listContainers();
      } catch {
        // The engine is down: said once by the breaker, and by the docker_up metric.
        return containersSample([], false);
      }
      this.cyclesSinceList = 0;
      listed = true;
      this.reconcile(list);
    }
    if (this.layout === null) this.layout = detectLayout(this.options.hostRoot);
    if (this.toInspect.size > 0) await this.inspectNew();
    // The run timed out while the engine was answering: end now, the loop waits for this run.
    if (signal?.aborted) return containersSample([], false);
    return containersSample(this.readAll(listed), true);
  }

  /**
   * Every known container's numbers, read and written out. Kept apart from `sample`: this loop is
   * what V8 finds hot and optimises, with what it inlines. With the loop inside `sample`, the
   * whole of `sample` was optimised, and its once-a-minute list path, which had no type feedback
   * yet, deoptimised it ~60 s after start (`--trace-deopt`); apart, no deoptimisation.
   */
  private readAll(listed: boolean): ResourceMetrics[] {
    const out: ResourceMetrics[] = [];
    for (const [id, entry] of this.cache) {
      entry.cgroup ??= this.resolveCgroup(entry.meta);
      if (!entry.cgroup) continue;
      const stats = readContainerStats(entry.cgroup, entry.netDevFile, entry.files, { oomKills: listed || entry.oomPending, throttling: entry.meta.cpuLimited, previous: entry.stats });
      entry.stats = stats;
      entry.oomPending = false;
      if (!stats) {
        this.forget(id); // stopped since it was listed; looked at afresh if it is back
        continue;
      }
      out.push(encodeContainer(entry.resourceJson, stats, entry.meta));
    }
    return out;
  }

  /** Stops following events and hands over the last ones; the cache's files are closed. */
  async stop(): Promise<void> {
    this.closing.abort();
    (this.stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
    await this.eventsLoop;
    this.unsubscribe();
    for (const id of [...this.cache.keys()]) this.forget(id);
    this.flush();
    await this.handing;
  }

  /**
   * Forgets containers no longer listed, queues the new ones for inspection, refreshes health
   * and state. A container queued by a start event but not listed stays queued: it may have
   * started while the list was on its way, and its inspect will tell.
   */
  private reconcile(list: ListedContainer[]): void {
    const listed = new Set(list.map((c) => c.Id));
    for (const id of [...this.cache.keys()]) if (!listed.has(id)) this.forget(id);
    for (const c of list) {
      const entry = this.cache.get(c.Id);
      if (!entry) {
        this.toInspect.add(c.Id);
        continue;
      }
      const health = healthFromStatus(c.Status);
      if (health) entry.meta.health = health;
      if (c.State) entry.meta.state = c.State;
    }
  }

  /** One inspect per new container, in parallel. */
  private async inspectNew(): Promise<void> {
    const ids = [...this.toInspect];
    await Promise.all(
      ids.map(async (id) => {
        let meta: ContainerMeta;
        try {
          meta = metaFromInspect(await this.engine.inspect(id));
        } catch (err) {
          if (!isEngineDown(err)) this.toInspect.delete(id); // removed meanwhile (404)
          return;
        }
        // A die or destroy that came while the inspect was on its way has the last word.
        if (!this.toInspect.delete(id) || meta.pid <= 0) return;
        this.forget(id);
        this.cache.set(id, { meta, resourceJson: Buffer.from(JSON.stringify(containerResource(meta, this.options.resource)), "utf8"), cgroup: undefined, netDevFile: this.netDevFile(meta), files: new OpenFiles(), stats: undefined, oomPending: false });
      }),
    );
  }

  /** Drops a container from the cache and closes its files. */
  private forget(id: string): void {
    this.cache.get(id)?.files.close();
    this.cache.delete(id);
    this.unresolved.delete(id);
  }

  private resolveCgroup(meta: ContainerMeta): ContainerCgroup | undefined {
    if (!this.layout) return undefined;
    let procCgroup: string | undefined;
    try {
      procCgroup = readFileSync(path.join(this.options.hostRoot, "proc", String(meta.pid), "cgroup"), "utf8");
    } catch {
      procCgroup = undefined;
    }
    const cgroup = resolveContainerCgroup(this.layout, procCgroup, meta.id);
    if (!cgroup && !this.unresolved.has(meta.id)) {
      this.unresolved.add(meta.id);
      this.options.log.warn({ container: meta.name, id: meta.id.slice(0, 12), pid: meta.pid }, "cannot find the container's cgroup; it is left out");
    }
    return cgroup;
  }

  /**
   * Network counters belong to a network namespace: only a container with its own has them.
   * Host networking (or another container's namespace) would report someone else's traffic.
   */
  private netDevFile(meta: ContainerMeta): string | undefined {
    if (meta.networkMode === "host" || meta.networkMode.startsWith("container:")) return undefined;
    // Its own namespace, but with nothing in it except loopback (left out anyway): nothing to read.
    if (meta.networkMode === "none") return undefined;
    const proc = path.join(this.options.hostRoot, "proc");
    try {
      if (readlinkSync(path.join(proc, String(meta.pid), "ns/net")) === readlinkSync(path.join(proc, "1/ns/net"))) return undefined;
    } catch {
      // Namespace links unreadable (no CAP_SYS_PTRACE): the network mode has already answered.
    }
    return path.join(proc, String(meta.pid), "net/dev");
  }

  private engineChanged(up: boolean, error: string | undefined, previous: boolean | undefined): void {
    const { log } = this.options;
    if (up) {
      log.info("docker engine reachable");
      this.wakeEvents?.(); // the events stream need not wait out its backoff
      if (previous === undefined) return; // the normal start: nothing happened worth an event
    } else {
      log.warn({ err: error }, "docker engine unreachable; containers are not sampled until it is back");
      // Pids and cgroups are from the engine's previous life; inspect everything afresh.
      for (const id of [...this.cache.keys()]) this.forget(id);
      this.toInspect.clear();
    }
    this.queue({
      timeUnixNano: `${this.now()}000000`,
      type: "docker",
      action: up ? "docker_up" : "docker_down",
      resource: this.options.resource,
      ...(error ? { attributes: { "error.message": error.slice(0, 1000) } } : {}),
    });
  }

  /**
   * Follows `/events`, reconnecting with exponential backoff for as long as the source lives
   * (at once when the engine is seen back). A reconnect asks the engine for what happened since
   * the last event seen, so a container started while the stream was down still has its event.
   */
  private async followEvents(): Promise<void> {
    const retry = new Backoff({ initialMs: this.options.retryInitialMs ?? 500, maxMs: this.options.retryMaxMs ?? 30_000 });
    const signal = this.closing.signal;
    while (!signal.aborted) {
      try {
        // A microsecond early: event times arrive as JSON numbers, a few hundred ns coarse.
        const since = this.resumeNano === undefined ? undefined : nanoToTimestamp(this.resumeNano - 1000n);
        const stream = await this.engine.events(signal, since);
        retry.reset();
        const openedNano = BigInt(this.now()) * 1_000_000n;
        if (this.resumeNano === undefined || this.resumeNano < openedNano) this.resumeNano = openedNano;
        this.options.log.debug({ since }, "docker events stream open");
        // Whatever happened while no stream was open is learnt from the list at the next cycle.
        this.streamConnected = true;
        this.cyclesSinceList = Number.POSITIVE_INFINITY;
        await this.consume(stream);
      } catch (err) {
        if (signal.aborted) break;
        if (!isEngineDown(err)) this.options.log.warn({ err: (err as Error).message }, "docker events stream failed");
      }
      this.streamConnected = false;
      if (signal.aborted) break;
      const wake = new AbortController();
      this.wakeEvents = () => wake.abort();
      await sleep(Math.round(retry.next()), AbortSignal.any([signal, wake.signal]));
      this.wakeEvents = undefined;
    }
  }

  private consume(stream: NodeJS.ReadableStream): Promise<void> {
    this.stream = stream;
    let buffer = "";
    return new Promise<void>((resolve) => {
      const done = () => {
        this.stream = undefined;
        resolve();
      };
      stream.on("data", (chunk: Buffer | string) => {
        buffer += chunk.toString();
        let nl: number;
        while ((nl = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line) this.onDockerEvent(line);
        }
      });
      stream.once("end", done);
      stream.once("close", done);
      stream.once("error", done);
    });
  }

  private onDockerEvent(line: string): void {
    let ev: DockerEvent;
    try {
      ev = JSON.parse(line) as DockerEvent;
    } catch {
      return;
    }
    const id = ev.Actor?.ID;
    if (ev.Type !== "container" || !id || !ev.Action) return;
    if (!this.firstTime(ev, id)) return;
    const [action, detail] = splitAction(ev.Action);
    const entry = this.cache.get(id);
    switch (action) {
      case "start":
      case "restart":
      case "update":
        // A new pid and restart count, or new limits: the next cycle inspects it afresh.
        this.forget(id);
        this.toInspect.add(id);
        break;
      case "die":
      case "destroy":
        this.forget(id);
        this.toInspect.delete(id);
        break;
      case "pause":
      case "unpause":
        if (entry) entry.meta.state = action === "pause" ? "paused" : "running";
        break;
      case "health_status":
        if (entry && detail) entry.meta.health = detail;
        break;
      case "oom":
        if (entry) {
          entry.meta.oomKilled = true;
          entry.oomPending = true;
        }
        break;
    }
    const event = toVigieEvent(ev, this.options.resource);
    if (event) this.queue(event);
  }

  /**
   * False for an event already handled (a reconnect replays from the last one seen, inclusive).
   * Moves the resume point forward.
   */
  private firstTime(ev: DockerEvent, id: string): boolean {
    if (ev.timeNano === undefined) return true;
    const key = `${ev.timeNano}/${id}/${ev.Action}`;
    if (this.recentEvents.has(key)) return false;
    this.recentEvents.add(key);
    if (this.recentEvents.size > RECENT_EVENTS) this.recentEvents.delete(this.recentEvents.values().next().value as string);
    const t = BigInt(ev.timeNano);
    if (this.resumeNano === undefined || t > this.resumeNano) this.resumeNano = t;
    return true;
  }

  private queue(event: Event): void {
    this.pending.push(event);
    this.flushTimer ??= setTimeout(() => this.flush(), this.options.eventBatchMs ?? 50);
  }

  /**
   * Hands the gathered events to the emitter, in order (one hand-over at a time). Refused ones
   * (the disk is full: events are written ahead) go back in front of the queue for the next
   * hand-over, bounded by `maxPendingEvents`, the oldest dropped and counted.
   */
  private flush(): void {
    clearTimeout(this.flushTimer);
    clearTimeout(this.retryTimer);
    this.flushTimer = undefined;
    this.retryTimer = undefined;
    const emitter = this.emitter;
    if (this.pending.length === 0 || !emitter) return;
    const events = this.pending;
    this.pending = [];
    this.handing = this.handing.then(async () => {
      try {
        await emitter.emit("events", { events }, this.now());
        this.stats.eventsEmitted += events.length;
      } catch (err) {
        this.stats.eventsRefused += events.length;
        this.options.log.error({ err: (err as Error).message, events: events.length }, "cannot hand container events over; kept for the next try");
        this.pending = [...events, ...this.pending];
        const excess = this.pending.length - (this.options.maxPendingEvents ?? 10_000);
        if (excess > 0) {
          this.pending.splice(0, excess);
          this.stats.eventsDropped += excess;
        }
        if (!this.closing.signal.aborted && !this.flushTimer) this.retryTimer ??= setTimeout(() => this.flush(), REFUSED_RETRY_MS);
      }
    });
  }
}

/** How long refused events wait before they are handed over again. */
const REFUSED_RETRY_MS = 5_000;

/** How many recent events are remembered to drop the ones a reconnect replays. */
const RECENT_EVENTS = 512;

/** `1764237600123456789` → `1764237600.123456789`, the form the engine's `since` takes. */
export function nanoToTimestamp(nano: bigint): string {
  const s = nano / 1_000_000_000n;
  const ns = nano % 1_000_000_000n;
  return `${s}.${ns.toString().padStart(9, "0")}`;
}

/** The health in `docker ps`'s status column: `Up 3 minutes (healthy)`, `(health: starting)`. */
export function healthFromStatus(status: string | undefined): string | undefined {
  if (!status) return undefined;
  const m = /\((healthy|unhealthy|health: starting)\)/.exec(status);
  if (!m) return undefined;
  return m[1] === "health: starting" ? "starting" : m[1];
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
