import { nativePattern, type Pattern } from "./pattern.js";

/**
 * A rule for joining the lines of one message (a stack trace) into one record. A rule without
 * `start` joins any line matching `continues` to the line before it (Java and Node `at …`
 * frames). A rule with `start` opens on a line matching it — a group's first line, or one that
 * joins the group before (Python's `Traceback` under an `ERROR` line) — and then takes lines
 * matching `continues`; a line matching `last` is taken and closes the group.
 */
export interface MultilineRule {
  name: string;
  start?: Pattern;
  continues: Pattern;
  last?: Pattern;
  /** A `start` line joins the group before instead of opening its own. Default false. */
  attach?: boolean;
}

export interface MultilineLimits {
  /** Lines per record; the rest go on in a new record. Default 500. */
  maxLines: number;
  /** Characters per joined record. Default 64 KiB. */
  maxBytes: number;
  /** A group that got no line for this long is sent as it is. Default 1000 ms. */
  flushAfterMs: number;
}

export const DEFAULT_MULTILINE_LIMITS: MultilineLimits = { maxLines: 500, maxBytes: 64 * 1024, flushAfterMs: 1000 };

/** The stack traces of the common runtimes. */
export const DEFAULT_MULTILINE_RULES: MultilineRule[] = [
  {
    // Java (and Kotlin, Scala) and Node: frames, causes, the exception line under a log line.
    name: "java-node-frames",
    continues: nativePattern(/^(?:\s+at\s|\s+\.\.\. \d+ (?:more|common frames omitted)|\s*Caused by: |\s+Suppressed: |(?:[a-zA-Z_$][\w$]*\.)+[\w$]*(?:Exception|Error|Throwable)(?::|$))/),
  },
  {
    name: "python-traceback",
    start: nativePattern(/^Traceback \(most recent call last\):$/),
    continues: nativePattern(/^(?:[ \t]|$)/),
    last: nativePattern(/^\S/),
    attach: true,
  },
  {
    name: "go-panic",
    start: nativePattern(/^(?:panic: |fatal error: )/),
    continues: nativePattern(/^(?:$|\s|goroutine \d+ \[|\[signal |created by |exit status \d+|[\w./*()[\]{}$-]+\(.*\)$)/),
  },
];

/** One line as read, with the cursors to read it again (`at`) or to go past it (`after`). */
export interface Entry<C> {
  text: string;
  stream: "stdout" | "stderr";
  /** The engine's timestamp, nanoseconds. */
  timeUnixNano: string;
  at: C;
  after: C;
  /** UTF-8 length before truncation, when the line was cut. */
  truncatedBytes?: number;
}

/** Joined lines: one future record. */
export interface Group<C> {
  text: string;
  stream: "stdout" | "stderr";
  timeUnixNano: string;
  lines: number;
  at: C;
  after: C;
  /** The longest original length among cut lines. */
  truncatedBytes?: number;
}

interface Open<C> {
  lines: string[];
  chars: number;
  first: Entry<C>;
  last: Entry<C>;
  rule: MultilineRule | undefined;
  truncatedBytes: number | undefined;
  touched: number;
}

/**
 * Joins the lines of one stream of one container. Every line is held until the next one shows
 * whether it continues (or until `flushAfterMs` passes), so `pending()` gives the cursor to
 * resume at without losing the held lines.
 */
export class MultilineJoiner<C> {
  private open: Open<C> | undefined;

  constructor(
    private readonly rules: readonly MultilineRule[],
    private readonly limits: MultilineLimits,
    private readonly emit: (group: Group<C>) => void,
  ) {}

  push(entry: Entry<C>, now: number): void {
    const g = this.open;
    if (g) {
      const rule = this.joins(g, entry.text);
      if (rule !== undefined) {
        if (g.lines.length < this.limits.maxLines && g.chars + entry.text.length + 1 <= this.limits.maxBytes) {
          g.lines.push(entry.text);
          g.chars += entry.text.length + 1;
          g.last = entry;
          g.rule = rule.rule;
          g.touched = now;
          if (entry.truncatedBytes !== undefined) g.truncatedBytes = Math.max(g.truncatedBytes ?? 0, entry.truncatedBytes);
          if (rule.closes) this.flush();
          return;
        }
        // Past the bounds: what there is goes out, the rest goes on in a new record.
        this.flush();
        this.start(entry, rule.rule, now);
        return;
      }
      this.flush();
    }
    this.start(entry, this.rules.find((r) => r.start?.test(entry.text)), now);
  }

  /** Sends the held group if it got no line for `flushAfterMs`. */
  flushIfStale(now: number): void {
    if (this.open && now - this.open.touched >= this.limits.flushAfterMs) this.flush();
  }

  /** Sends the held group now. */
  flush(): void {
    const g = this.open;
    if (!g) return;
    this.open = undefined;
    const group: Group<C> = {
      text: g.lines.length === 1 ? (g.lines[0] ?? "") : g.lines.join("\n"),
      stream: g.first.stream,
      timeUnixNano: g.first.timeUnixNano,
      lines: g.lines.length,
      at: g.first.at,
      after: g.last.after,
    };
    if (g.truncatedBytes !== undefined) group.truncatedBytes = g.truncatedBytes;
    this.emit(group);
  }

  /** Where to resume so that the held lines are read again; undefined when none is held. */
  pending(): C | undefined {
    return this.open?.first.at;
  }

  /** Forgets the held lines (they will be read again from `pending()`). */
  discard(): void {
    this.open = undefined;
  }

  private start(entry: Entry<C>, rule: MultilineRule | undefined, now: number): void {
    this.open = { lines: [entry.text], chars: entry.text.length, first: entry, last: entry, rule, truncatedBytes: entry.truncatedBytes, touched: now };
  }

  private joins(g: Open<C>, line: string): { rule: MultilineRule | undefined; closes: boolean } | undefined {
    const active = g.rule;
    if (active) {
      if (active.continues.test(line)) return { rule: active, closes: false };
      if (active.last?.test(line)) return { rule: undefined, closes: true };
    }
    for (const r of this.rules) {
      if (r.start) {
        if (r.attach && r !== active && r.start.test(line)) return { rule: r, closes: false };
      } else if (r.continues.test(line)) {
        return { rule: r, closes: false };
      }
    }
    return undefined;
  }
}
