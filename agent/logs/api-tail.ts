import type { Readable } from "node:stream";
import { Demuxer, type Frame } from "./demux.js";
import type { Checkpoint, RawEntry } from "./pipeline.js";
import type { LogStreamOpener } from "./ports.js";
import { earliest, type LogTail, type ReadResult, type TailStats } from "./tail.js";
import { compareNanos, nanosToSince, parseRfc3339 } from "./timestamp.js";

/**
 * A place in the engine's log stream: a timestamp and how many entries with that very timestamp
 * come before. `since` is inclusive, so on resume the entries at `t` are counted again and the
 * first `n` skipped: nothing twice, nothing lost.
 */
export interface ApiCursor {
  t: string;
  n: number;
}

export interface ApiTailOptions {
  /** Bytes received but not yet read past which the stream is paused (the engine waits). Default 1 MiB. */
  highWaterBytes?: number;
}

const MAX_TTY_LINE = 1024 * 1024;

/**
 * Follows a container's log through the engine's API (`follow`, `timestamps`), for drivers whose
 * files Vigie does not read. Demultiplexes the stream of a container without a TTY; one frame
 * is one entry of the engine's, cut at 16 KiB like in the files (no newline: partial).
 */
export class ApiStreamTail implements LogTail<ApiCursor> {
  readonly mode = "api" as const;
  readonly stats: TailStats = { invalid: 0, lost: 0 };
  private readonly queue: Frame[] = [];
  private queued = 0;
  private ended = false;
  private paused = false;
  private lastT = "";
  private atT = 0;
  private ttyRest: Buffer = Buffer.alloc(0);
  private readonly controller = new AbortController();
  private stream: Readable | undefined;
  private readonly highWater: number;

  private constructor(
    private readonly tty: boolean,
    options: ApiTailOptions,
  ) {
    this.highWater = options.highWaterBytes ?? 1024 * 1024;
  }

  static async open(opener: LogStreamOpener, id: string, tty: boolean, checkpoint: Checkpoint<ApiCursor> | undefined, options: ApiTailOptions = {}): Promise<ApiStreamTail> {
    const tail = new ApiStreamTail(tty, options);
    const since = checkpoint ? nanosToSince(earliest(checkpoint, tail.compare).t) : undefined;
    tail.attach(await opener(id, since, tail.controller.signal));
    return tail;
  }

  compare = (a: ApiCursor, b: ApiCursor): number => compareNanos(a.t, b.t) || a.n - b.n;

  async read(maxBytes: number): Promise<ReadResult<ApiCursor>> {
    const entries: RawEntry<ApiCursor>[] = [];
    let taken = 0;
    while (taken < maxBytes && this.queue.length > 0) {
      const frame = this.queue.shift() as Frame;
      taken += frame.payload.length;
      this.queued -= frame.payload.length;
      const e = this.entry(frame);
      if (e) entries.push(e);
    }
    if (this.paused && this.queued < this.highWater / 2) {
      this.paused = false;
      this.stream?.resume();
    }
    return { entries, more: this.queue.length > 0, ended: this.ended && this.queue.length === 0 };
  }

  async close(): Promise<void> {
    this.controller.abort();
    this.stream?.destroy();
    this.queue.length = 0;
    this.queued = 0;
  }

  private attach(stream: Readable): void {
    this.stream = stream;
    const demux = new Demuxer();
    stream.on("data", (chunk: Buffer) => {
      const frames = this.tty ? this.ttyLines(chunk) : demux.push(chunk);
      for (const f of frames) {
        this.queue.push(f);
        this.queued += f.payload.length;
      }
      if (this.queued > this.highWater && !this.paused) {
        this.paused = true;
        stream.pause();
      }
    });
    const end = (): void => {
      this.ended = true;
    };
    stream.once("end", end);
    stream.once("close", end);
    stream.once("error", end);
  }

  /** A TTY's stream is raw: lines end in `\n` (or `\r\n`), each starting with its timestamp. */
  private ttyLines(chunk: Buffer): Frame[] {
    const data = this.ttyRest.length > 0 ? Buffer.concat([this.ttyRest, chunk]) : chunk;
    const frames: Frame[] = [];
    let start = 0;
    for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
      frames.push({ stream: "stdout", payload: data.subarray(start, nl + 1) });
      start = nl + 1;
    }
    const rest = data.length - start;
    if (rest > MAX_TTY_LINE) {
      frames.push({ stream: "stdout", payload: data.subarray(start, start + MAX_TTY_LINE) });
      this.ttyRest = Buffer.alloc(0);
    } else {
      this.ttyRest = rest > 0 ? Buffer.from(data.subarray(start)) : Buffer.alloc(0);
    }
    return frames;
  }

  private entry(frame: Frame): RawEntry<ApiCursor> | undefined {
    const text = frame.payload.toString("utf8");
    const space = text.indexOf(" ");
    const t = space > 0 ? parseRfc3339(text.slice(0, space)) : undefined;
    if (t === undefined) {
      this.stats.invalid++;
      return undefined;
    }
    if (t === this.lastT) {
      this.atT++;
    } else {
      this.lastT = t;
      this.atT = 0;
    }
    const body = text.slice(space + 1);
    const partial = !body.endsWith("\n");
    return { stream: frame.stream, timeUnixNano: t, text: partial ? body : body.slice(0, -1), partial, at: { t, n: this.atT }, after: { t, n: this.atT + 1 } };
  }
}
