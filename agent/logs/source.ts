import { stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../../lib/index.js";
import type { Emitter, Source } from "../source.js";
import { ApiStreamTail, type ApiCursor } from "./api-tail.js";
import { emitterSink } from "./batches.js";
import { pipelineOptions, type LogsConfig } from "./config.js";
import { JsonFileTail, type FileCursor } from "./file-tail.js";
import { Follower, type ContainerLogStats, type Following } from "./follower.js";
import { ContainerPipeline, type Checkpoint, type PipelineOptions } from "./pipeline.js";
import type { ContainerLister, LogContainer, LogSink, LogStreamOpener } from "./ports.js";
import { PositionStore } from "./positions.js";
import { apiRecordUid, fileRecordUid } from "./uid.js";

/** The label (on a container or its service) that keeps a container's logs on the node. */
export const LOGS_OPT_OUT_LABEL = "vigie.logs";

export interface LogSourceOptions {
  /** Running containers with their labels, log driver, LogPath, TTY and resource. */
  lister: ContainerLister;
  /** The engine's log stream, for drivers whose files are not read; undefined: those containers are skipped. */
  openStream?: LogStreamOpener;
  /**
   * Where records go when `start` is given no emitter (tests of collection alone). Given an
   * emitter, the source sends `logs` messages through it, split to fit a NATS message.
   */
  sink?: LogSink;
  config: LogsConfig;
  /** Where the host's filesystem is mounted (`/`, or `/host` in a container): log files are read under it. */
  hostRoot: string;
  /** Positions are kept here, one file per container (`<dataDir>/agent/logs`). */
  stateDir: string;
  /** Unix ms; drives rate limits, multi-line timeouts and listing. Default Date.now. */
  now?: () => number;
  log: Logger;
}

/** Positions of containers not seen for this long are forgotten. */
const POSITION_TTL_MS = 7 * 86_400_000;
/** Wait after the sink refused records before trying again. */
const RETRY_MS = 1000;
/** Most services named in drop counts; the rest are summed under `_other` (bounded metric labels). */
export const MAX_DROP_SERVICES = 200;

/** The service a container's lines are counted under: its Swarm or Compose service, else `_none`. */
function serviceOf(c: LogContainer): string {
  const s = c.resource["service.name"];
  const ns = c.resource["service.namespace"];
  if (typeof s !== "string" || s === "") return "_none";
  return typeof ns === "string" && ns !== "" ? `${ns}_${s}` : s;
}

/**
 * Ships the logs of every running container of the node (but those labelled `vigie.logs=false`):
 * reads the `json-file` driver's files under the host root, or the engine's log stream for other
 * drivers, one container a budget at a time, so a noisy one delays the others by one read at
 * most. Positions are committed after the sink accepted, so a restart resumes there; a crash
 * between the two reads one delivery again, whose records carry the uids they had the first
 * time (`uid.ts`), so the collector keeps each once.
 */
export class LogSource implements Source {
  readonly name = "logs";
  private readonly followers = new Map<string, Following>();
  private readonly pipeline: PipelineOptions;
  private readonly now: () => number;
  private positions: PositionStore | undefined;
  private loop: Promise<void> | undefined;
  private stopped = true;
  private nextList = 0;
  private wake: (() => void) | undefined;
  private listFailures = 0;
  /** Counts of containers no longer followed, so totals never go down. */
  private readonly finished: ContainerLogStats[] = [];
  /** Drops of containers no longer followed, by service, so the per-service totals never go down either. */
  private readonly finishedDrops = new Map<string, number>();
  private sink: LogSink | undefined;

  constructor(private readonly options: LogSourceOptions) {
    this.pipeline = pipelineOptions(options.config);
    this.now = options.now ?? Date.now;
  }

  /** Starts reading; records go to `emitter` (as `logs` messages) or, without one, to the `sink` option. */
  start(emitter?: Emitter): void {
    if (!this.stopped) return;
    this.sink = emitter ? emitterSink(emitter, this.now) : this.options.sink;
    if (!this.sink) throw new Error("LogSource needs an emitter or a sink");
    this.stopped = false;
    this.loop = this.run().catch((err: unknown) => this.options.log.error({ err: (err as Error).message }, "log collection stopped on an error"));
  }

  /** Stops reading; positions stay where the sink last accepted, held lines are read again at the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    for (const f of this.followers.values()) this.retire(f);
    await Promise.all([...this.followers.values()].map((f) => f.close()));
    this.followers.clear();
  }

  /** Reads the container list at the next round (on a container start or stop event). */
  refresh(): void {
    this.nextList = 0;
    this.wake?.();
  }

  /** Per container: lines, records, drops by the rate limit, cut lines, invalid entries, losses. */
  stats(): ContainerLogStats[] {
    return [...this.finished, ...[...this.followers.values()].map((f) => f.stats())];
  }

  /**
   * Lines dropped by the rate limit, summed by service (`stack_service`, `_none` outside any):
   * at most MAX_DROP_SERVICES services, the rest under `_other`. Never goes down.
   */
  droppedByService(): Map<string, number> {
    const sums = new Map(this.finishedDrops);
    for (const f of this.followers.values()) addDrop(sums, serviceOf(f.container), f.stats().dropped);
    return sums;
  }

  private retire(f: Following): void {
    const stats = f.stats();
    this.finished.push(stats);
    if (this.finished.length > 1000) this.finished.shift();
    if (stats.dropped > 0) addDrop(this.finishedDrops, serviceOf(f.container), stats.dropped);
  }

  private async run(): Promise<void> {
    this.positions = await PositionStore.open(this.options.stateDir);
    let pruned = false;
    const { config } = this.options;
    while (!this.stopped) {
      if (this.now() >= this.nextList) {
        await this.sync();
        if (!pruned && this.listFailures === 0) {
          pruned = true;
          await this.positions.prune(new Set(this.followers.keys()), POSITION_TTL_MS, this.now()).catch(() => 0);
        }
        this.nextList = this.now() + config.listInterval;
      }
      let busy = false;
      for (const [id, f] of [...this.followers]) {
        if (this.stopped) break;
        let result;
        try {
          result = await f.step(config.readChunkBytes, this.sink as LogSink, this.now());
        } catch (err) {
          this.options.log.warn({ container: f.container.name, err: (err as Error).message }, "cannot read container logs; trying again at the next listing");
          result = "ended" as const;
        }
        if (result === "ended") {
          this.retire(f);
          await f.close();
          this.followers.delete(id);
        }
        busy ||= result === "more";
      }
      if (this.stopped) break;
      if (busy) await new Promise((r) => setImmediate(r));
      else await this.sleep(config.pollInterval);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  private async sync(): Promise<void> {
    let list: LogContainer[];
    try {
      list = await this.options.lister();
      this.listFailures = 0;
    } catch (err) {
      // Engine down: the files go on being read; nothing is taken for gone.
      if (this.listFailures++ === 0) this.options.log.warn({ err: (err as Error).message }, "cannot list containers for their logs");
      return;
    }
    const running = new Set<string>();
    for (const c of list) {
      if (c.labels[LOGS_OPT_OUT_LABEL] === "false") continue;
      running.add(c.id);
      const f = this.followers.get(c.id);
      if (f) {
        f.gone = false;
        continue;
      }
      try {
        const follower = await this.follow(c);
        if (follower) this.followers.set(c.id, follower);
      } catch (err) {
        this.options.log.warn({ container: c.name, err: (err as Error).message }, "cannot follow container logs");
      }
    }
    for (const [id, f] of this.followers) if (!running.has(id)) f.gone = true;
  }

  private async follow(c: LogContainer): Promise<Following | undefined> {
    const positions = this.positions as PositionStore;
    const saved = await positions.load(c.id);
    const file = await this.readableFile(c);
    const common = { container: c, dropReportMs: this.options.config.dropReportInterval, retryMs: RETRY_MS };
    if (file) {
      const committed = saved?.mode === "file" && isFileCheckpoint(saved.checkpoint) ? saved.checkpoint : undefined;
      const tail = await JsonFileTail.open(file, committed);
      return new Follower<FileCursor>({
        ...common,
        tail,
        committed,
        pipeline: new ContainerPipeline<FileCursor>(c.resource, this.pipeline, tail.compare, this.now, committed, fileRecordUid(c.id)),
        reopen: (cp) => JsonFileTail.open(file, cp),
        save: (checkpoint) => positions.save(c.id, { mode: "file", checkpoint }),
      });
    }
    const opener = this.options.openStream;
    if (!opener) return undefined;
    const committed = saved?.mode === "api" && isApiCheckpoint(saved.checkpoint) ? saved.checkpoint : undefined;
    const tail = await ApiStreamTail.open(opener, c.id, c.tty, committed);
    return new Follower<ApiCursor>({
      ...common,
      tail,
      committed,
      pipeline: new ContainerPipeline<ApiCursor>(c.resource, this.pipeline, tail.compare, this.now, committed, apiRecordUid(c.id)),
      reopen: (cp) => ApiStreamTail.open(opener, c.id, c.tty, cp),
      save: (checkpoint) => positions.save(c.id, { mode: "api", checkpoint }),
    });
  }

  /**
   * The json-file log of a container under the host root, when its directory can be read there.
   * The engine's LogPath is checked before use: absolute, normalized, and the file the engine
   * names after the container — never a path a label or a hostile engine could point elsewhere.
   */
  private async readableFile(c: LogContainer): Promise<string | undefined> {
    if (!this.options.config.readFiles || c.logDriver !== "json-file" || !c.logPath) return undefined;
    const p = c.logPath;
    if (!path.isAbsolute(p) || path.normalize(p) !== p || path.basename(p) !== `${c.id}-json.log`) return undefined;
    const file = path.join(this.options.hostRoot, p);
    try {
      await stat(path.dirname(file));
      return file;
    } catch {
      return undefined; // the engine's data root is not mounted here: the API stream it is
    }
  }
}

function addDrop(sums: Map<string, number>, service: string, n: number): void {
  if (n === 0) return;
  const key = sums.has(service) || sums.size < MAX_DROP_SERVICES ? service : "_other";
  sums.set(key, (sums.get(key) ?? 0) + n);
}

function isFileCheckpoint(v: unknown): v is Checkpoint<FileCursor> {
  const ok = (c: unknown): boolean => {
    const x = c as Partial<FileCursor> | null;
    return !!x && Number.isSafeInteger(x.ino) && Number.isSafeInteger(x.off) && (x.off ?? -1) >= 0;
  };
  const cp = v as Partial<Checkpoint<unknown>> | null;
  return !!cp && ok(cp.stdout) && ok(cp.stderr);
}

function isApiCheckpoint(v: unknown): v is Checkpoint<ApiCursor> {
  const ok = (c: unknown): boolean => {
    const x = c as Partial<ApiCursor> | null;
    return !!x && typeof x.t === "string" && /^[1-9]\d{0,19}$/.test(x.t) && Number.isSafeInteger(x.n) && (x.n ?? -1) >= 0;
  };
  const cp = v as Partial<Checkpoint<unknown>> | null;
  return !!cp && ok(cp.stdout) && ok(cp.stderr);
}
