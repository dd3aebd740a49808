import type { Attributes, LogRecord } from "../../protocol/index.js";
import { TokenBucket } from "./bucket.js";
import { MultilineJoiner, type Entry, type Group, type MultilineLimits, type MultilineRule } from "./multiline.js";
import { parseMessage, type FieldLimits } from "./parse/index.js";
import { LOG_ATTR, toRecord } from "./record.js";
import type { Redactor } from "./redact.js";
import { cleanText, truncateUtf8 } from "./text.js";
import { msToNanos } from "./timestamp.js";
import { RECORD_UID_ATTR, type RecordUid } from "./uid.js";

export type Stream = "stdout" | "stderr";

/** One message as the engine stored it: Docker cuts lines over 16 KiB into parts (`partial`). */
export interface RawEntry<C> {
  stream: Stream;
  /** The engine's timestamp, nanoseconds. */
  timeUnixNano: string;
  /** The text without its line end. */
  text: string;
  /** More of the same line follows in the next entry of this stream. */
  partial: boolean;
  at: C;
  after: C;
}

/**
 * Where each stream resumes: an entry of stream `s` before `checkpoint[s]` was delivered (or
 * dropped on purpose) already. Two cursors, because one stream may hold a stack trace while the
 * other goes on.
 */
export type Checkpoint<C> = Record<Stream, C>;

export interface PipelineOptions {
  /** Longer lines are cut and flagged. Default 16 KiB. */
  maxLineBytes: number;
  multiline: { rules: readonly MultilineRule[]; limits: MultilineLimits } | false;
  redactor: Redactor;
  /** Records per second per container, and how many may be saved up. */
  rate: { linesPerSecond: number; burst: number };
  fields: FieldLimits;
  /** The application's own time is used when within this of the engine's. Default one day. */
  maxTimeSkewS: number;
}

/** What a container's logs came to, for the agent's metrics. */
export interface PipelineStats {
  /** Lines read (a line cut into parts by the engine counts once). */
  lines: number;
  /** Records delivered. */
  records: number;
  /** Records dropped by the rate limit. */
  dropped: number;
  /** Lines cut to the maximum length. */
  truncated: number;
}

interface PartialLine<C> {
  parts: string[];
  chars: number;
  bytes: number;
  first: RawEntry<C>;
}

/**
 * The pure core of one container's logs: engine entries in, OTel records out. Joins the engine's
 * parts of long lines, cleans and cuts them, joins stack traces, applies the rate limit, parses,
 * redacts, and says where to resume so that nothing is lost; each record's uid (from where its
 * first line sits in the log) lets the collector store a record read twice once.
 */
export class ContainerPipeline<C> {
  readonly stats: PipelineStats = { lines: 0, records: 0, dropped: 0, truncated: 0 };
  private out: LogRecord[] = [];
  private readonly partials: Partial<Record<Stream, PartialLine<C>>> = {};
  private readonly joiners: Record<Stream, MultilineJoiner<C>> | undefined;
  private readonly bucket: TokenBucket;
  private lastAfter: C | undefined;
  private droppedUnreported = 0;

  constructor(
    public resource: Attributes,
    private readonly options: PipelineOptions,
    private readonly compare: (a: C, b: C) => number,
    private readonly now: () => number,
    private skipBefore?: Checkpoint<C>,
    /** Gives each record its `log.record.uid` from where it sits in the log (none: records carry no uid). */
    private readonly uid?: RecordUid<C>,
  ) {
    this.bucket = new TokenBucket(options.rate.linesPerSecond, options.rate.burst, now());
    const ml = options.multiline;
    if (ml) {
      const handle = (g: Group<C>): void => this.handle(g);
      this.joiners = { stdout: new MultilineJoiner(ml.rules, ml.limits, handle), stderr: new MultilineJoiner(ml.rules, ml.limits, handle) };
    }
  }

  push(e: RawEntry<C>): void {
    const skip = this.skipBefore?.[e.stream];
    if (skip !== undefined && this.compare(e.at, skip) < 0) return;
    this.lastAfter = e.after;
    const held = this.partials[e.stream];
    if (e.partial || held) {
      const p = held ?? { parts: [], chars: 0, bytes: 0, first: e };
      p.bytes += Buffer.byteLength(e.text, "utf8");
      if (p.chars <= this.options.maxLineBytes) {
        p.parts.push(e.text);
        p.chars += e.text.length;
      }
      if (e.partial) {
        this.partials[e.stream] = p;
        return;
      }
      delete this.partials[e.stream];
      this.line({ ...p.first, text: p.parts.join(""), after: e.after }, p.bytes > this.options.maxLineBytes ? p.bytes : undefined);
      return;
    }
    this.line(e, undefined);
  }

  /** Sends stack traces that waited too long for their next line. */
  flushStale(): void {
    if (!this.joiners) return;
    const now = this.now();
    this.joiners.stdout.flushIfStale(now);
    this.joiners.stderr.flushIfStale(now);
  }

  /** Sends everything held (the container stopped: no line will follow). */
  flushAll(): void {
    for (const s of ["stdout", "stderr"] as const) {
      const p = this.partials[s];
      if (p) {
        delete this.partials[s];
        this.line({ ...p.first, text: p.parts.join(""), partial: false }, p.bytes > this.options.maxLineBytes ? p.bytes : undefined);
      }
      this.joiners?.[s].flush();
    }
  }

  /**
   * Adds a record saying how many lines the rate limit dropped since the last report, if any:
   * what is dropped is reported in the logs themselves, next to where it happened.
   */
  reportDrops(): void {
    if (this.droppedUnreported === 0) return;
    const n = this.droppedUnreported;
    this.droppedUnreported = 0;
    const time = msToNanos(this.now());
    this.out.push({
      timeUnixNano: time,
      observedTimeUnixNano: time,
      severityNumber: 13,
      severityText: "WARN",
      body: `vigie: ${n} log lines of this container dropped by the rate limit (${this.options.rate.linesPerSecond} lines/s, burst ${this.options.rate.burst})`,
      attributes: { [LOG_ATTR.dropped]: n },
      resource: this.resource,
    });
  }

  /** The records made so far, and the checkpoint to commit once they are accepted. */
  take(): { records: LogRecord[]; checkpoint: Checkpoint<C> | undefined } {
    const records = this.out;
    this.out = [];
    this.stats.records += records.length;
    return { records, checkpoint: this.checkpoint() };
  }

  /**
   * After a failed delivery: forgets held lines and made records, to read again from
   * `checkpoint` (the last one committed).
   */
  rewind(checkpoint: Checkpoint<C> | undefined): void {
    this.out = [];
    delete this.partials.stdout;
    delete this.partials.stderr;
    this.joiners?.stdout.discard();
    this.joiners?.stderr.discard();
    this.skipBefore = checkpoint;
    this.lastAfter = undefined;
  }

  private checkpoint(): Checkpoint<C> | undefined {
    const base = this.lastAfter;
    if (base === undefined) return this.skipBefore;
    const at = (s: Stream): C => this.joiners?.[s].pending() ?? this.partials[s]?.first.at ?? base;
    return { stdout: at("stdout"), stderr: at("stderr") };
  }

  private line(e: RawEntry<C>, cutBytes: number | undefined): void {
    this.stats.lines++;
    const cut = truncateUtf8(cleanText(e.text), this.options.maxLineBytes);
    const truncatedBytes = cutBytes ?? (cut.truncated ? cut.bytes : undefined);
    if (truncatedBytes !== undefined) this.stats.truncated++;
    const entry: Entry<C> = { text: cut.text, stream: e.stream, timeUnixNano: e.timeUnixNano, at: e.at, after: e.after };
    if (truncatedBytes !== undefined) entry.truncatedBytes = truncatedBytes;
    if (this.joiners) this.joiners[e.stream].push(entry, this.now());
    else this.handle({ ...entry, lines: 1 });
  }

  private handle(g: Group<C>): void {
    const now = this.now();
    if (!this.bucket.take(now)) {
      this.stats.dropped++;
      this.droppedUnreported++;
      return;
    }
    const parsed = parseMessage(g.text, this.options.fields);
    parsed.body = this.options.redactor.text(parsed.body);
    if (parsed.attributes) parsed.attributes = this.options.redactor.attributes(parsed.attributes);
    const record = toRecord(g, parsed, this.resource, msToNanos(now), this.options.maxTimeSkewS);
    if (this.uid) (record.attributes ??= {})[RECORD_UID_ATTR] = this.uid(g.at, g.timeUnixNano, g.lines);
    this.out.push(record);
  }
}
