import { mkdir, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";

export interface SpoolEntry {
  /** Spool-wide order, kept across agent restarts. */
  id: number;
  subject: string;
  msgId: string;
  /** W3C trace context of the sampling that made the message ("" when not tracing). */
  traceparent: string;
  data: Uint8Array;
}

export interface SpoolStats {
  messages: number;
  bytes: number;
  /** Messages dropped, oldest first, because the spool was over its bound. */
  droppedMessages: number;
  droppedBytes: number;
  /** Messages written to disk because they were not acknowledged in time (or at shutdown). */
  writtenMessages: number;
  /** Writes that failed (disk full, permissions): the message stays in memory and is tried again later. */
  writeErrors: number;
}

export interface SpoolOptions {
  /**
   * A message is written to disk only when it is still waiting this long after it was appended
   * (NATS is slow or away) or when the spool is closed. 0 writes every message as it comes.
   * Default 1 s: with NATS there, a message is acknowledged within milliseconds and never
   * touches the disk; with NATS away, the spool is on disk within a second. An agent killed
   * outright loses at most that last second (the disk is for outages of NATS, not of the agent).
   */
  writeAfterMs?: number;
  /**
   * Messages appended by this process are held in memory, up to this many bytes in all, so
   * publishing one needs no read. Past it (NATS away for a while), a message is written at once
   * and read back from disk when its turn comes. Default 8 MiB.
   */
  inMemoryBytes?: number;
  /** After a failed write, the next try waits this long. Default 5 s. */
  writeRetryMs?: number;
  now?: () => number;
}

const NAME = /^(\d{16})\.msg$/;

interface Slot {
  id: number;
  bytes: number;
  /** The message itself while it is held in memory. */
  entry?: SpoolEntry;
  /** Its file is complete on disk. */
  onDisk: boolean;
  /** The write of its file, while under way. */
  writing?: Promise<void>;
  appendedAt: number;
  removed?: boolean;
  /** Written ahead: not handed to the publisher before its file is on disk. */
  ahead?: boolean;
}

export interface AppendOptions {
  /**
   * Write the message to disk before `append` resolves, and before it is published, whatever
   * `writeAfterMs` says: for records no later sample repeats (events, logs). When the write fails,
   * the message is not kept and `append` rejects: the caller still has it.
   */
  writeAhead?: boolean;
}

/**
 * A bounded queue of messages waiting for JetStream's acknowledgement, kept on disk whenever
 * the wait is more than a moment (see `writeAfterMs`); past `maxBytes` the oldest messages are
 * dropped and counted. Survives restarts. Files are written atomically (temp file, then rename).
 * File layout: `<16-digit id>.msg` holding `subject\nmsgId\ntraceparent\n` then the message bytes.
 */
export class Spool {
  private readonly entries: Slot[] = [];
  private nextId = 1;
  private memoryBytes = 0;
  private writeTimer: NodeJS.Timeout | undefined;
  /** After close, what is still appended (the last events of a shutdown) is written at once. */
  private closed = false;
  /** No write is tried before this time (after a failure). */
  private retryAt = 0;
  private readonly writeAfterMs: number;
  private readonly inMemoryBytes: number;
  private readonly writeRetryMs: number;
  private readonly now: () => number;
  readonly stats: SpoolStats = { messages: 0, bytes: 0, droppedMessages: 0, droppedBytes: 0, writtenMessages: 0, writeErrors: 0 };

  private constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    options: SpoolOptions,
  ) {
    this.writeAfterMs = options.writeAfterMs ?? 1000;
    this.inMemoryBytes = options.inMemoryBytes ?? 8 * 1024 * 1024;
    // A full disk is not fixed in a millisecond.
    this.writeRetryMs = options.writeRetryMs ?? 5000;
    this.now = options.now ?? Date.now;
  }

  static async open(dir: string, maxBytes: number, options: SpoolOptions = {}): Promise<Spool> {
    await mkdir(dir, { recursive: true });
    const spool = new Spool(dir, maxBytes, options);
    const names = (await readdir(dir)).filter((n) => NAME.test(n)).sort();
    for (const name of names) {
      const id = Number(NAME.exec(name)?.[1]);
      const { size } = await stat(path.join(dir, name));
      spool.entries.push({ id, bytes: size, onDisk: true, appendedAt: 0 });
      spool.stats.bytes += size;
      spool.nextId = id + 1;
    }
    spool.stats.messages = spool.entries.length;
    await spool.enforceBound();
    return spool;
  }

  get size(): number {
    return this.entries.length;
  }

  async append(subject: string, msgId: string, data: Uint8Array, traceparent = "", options: AppendOptions = {}): Promise<void> {
    const id = this.nextId++;
    const entry: SpoolEntry = { id, subject, msgId, traceparent, data };
    const bytes = Buffer.byteLength(headText(entry)) + data.byteLength;
    const ahead = options.writeAhead === true;
    const slot: Slot = { id, bytes, onDisk: false, appendedAt: this.now(), ahead };
    const inMemory = this.memoryBytes + bytes <= this.inMemoryBytes;
    if (inMemory) {
      slot.entry = entry;
      this.memoryBytes += bytes;
    }
    this.entries.push(slot);
    this.stats.messages++;
    this.stats.bytes += bytes;
    if (ahead || !inMemory || this.writeAfterMs <= 0 || this.closed) {
      try {
        await this.write(slot, entry);
      } catch (err) {
        this.stats.writeErrors++;
        if (ahead) {
          this.forget(slot); // refused, not dropped: the caller keeps the record and is told
        } else if (!slot.entry) {
          // Neither on disk nor in memory: it cannot wait; dropped and counted like an overflow.
          this.forget(slot);
          this.stats.droppedMessages++;
          this.stats.droppedBytes += bytes;
        }
        throw err;
      }
    } else this.scheduleWrite();
    await this.enforceBound();
  }

  /** The oldest waiting message, or undefined when the spool is empty. */
  async peek(): Promise<SpoolEntry | undefined> {
    while (this.entries.length > 0) {
      const first = this.entries[0] as Slot;
      if (first.entry) {
        if (!first.ahead || first.onDisk) return first.entry;
        await first.writing?.catch(() => undefined); // written ahead: on disk before it is published
        if (first.removed) continue;
        return first.entry;
      }
      await first.writing?.catch(() => undefined); // its file may still be on its way
      let buf: Buffer;
      try {
        buf = await readFile(this.file(first.id));
      } catch {
        this.forget(first);
        continue;
      }
      const a = buf.indexOf(10);
      const b = a < 0 ? -1 : buf.indexOf(10, a + 1);
      const c = b < 0 ? -1 : buf.indexOf(10, b + 1);
      if (c < 0) {
        // A file cut short by a crash before rename cannot happen; one damaged on disk is dropped and counted.
        await this.dropOldest();
        continue;
      }
      return {
        id: first.id,
        subject: buf.subarray(0, a).toString(),
        msgId: buf.subarray(a + 1, b).toString(),
        traceparent: buf.subarray(b + 1, c).toString(),
        data: buf.subarray(c + 1),
      };
    }
    return undefined;
  }

  /** Deletes an acknowledged message (from disk too, if it had been written). */
  async remove(id: number): Promise<void> {
    const slot = this.entries.find((e) => e.id === id);
    if (!slot) return;
    this.forget(slot);
    await slot.writing?.catch(() => undefined);
    if (slot.onDisk) await unlink(this.file(id)).catch(() => undefined);
  }

  /**
   * Writes every waiting message to disk (at shutdown: they go first at the next start); what is
   * appended afterwards is written at once.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.writeTimer);
    this.writeTimer = undefined;
    await this.writeDue(Number.POSITIVE_INFINITY);
  }

  private scheduleWrite(): void {
    if (this.writeTimer) return;
    const oldest = this.entries.find((e) => !e.onDisk && !e.writing);
    if (!oldest) return;
    const wait = Math.max(0, oldest.appendedAt + this.writeAfterMs - this.now(), this.retryAt - this.now());
    this.writeTimer = setTimeout(() => {
      this.writeTimer = undefined;
      void this.writeDue(this.now() - this.writeAfterMs).finally(() => this.scheduleWrite());
    }, wait);
    this.writeTimer.unref();
  }

  /** Writes, in order, the messages appended at or before `appendedBy` that are not on disk yet. */
  private async writeDue(appendedBy: number): Promise<void> {
    for (const slot of [...this.entries]) {
      if (slot.appendedAt > appendedBy) break;
      if (slot.onDisk || slot.removed || !slot.entry) {
        await slot.writing?.catch(() => undefined);
        continue;
      }
      try {
        await this.write(slot, slot.entry);
      } catch {
        // Kept in memory (still published from there); written at a later try.
        this.stats.writeErrors++;
        this.retryAt = this.now() + this.writeRetryMs;
        return;
      }
    }
  }

  private write(slot: Slot, entry: SpoolEntry): Promise<void> {
    slot.writing ??= (async () => {
      const file = this.file(slot.id);
      const fh = await open(`${file}.tmp`, "w");
      try {
        await fh.writev([Buffer.from(headText(entry), "utf8"), entry.data]);
      } finally {
        await fh.close();
      }
      await rename(`${file}.tmp`, file);
      slot.onDisk = true; // removed meanwhile: remove() waits for this write, then unlinks
      this.stats.writtenMessages++;
    })().finally(() => {
      slot.writing = undefined;
    });
    return slot.writing;
  }

  private forget(slot: Slot): void {
    const i = this.entries.indexOf(slot);
    if (i < 0) return;
    this.entries.splice(i, 1);
    slot.removed = true;
    if (slot.entry) this.memoryBytes -= slot.bytes;
    this.stats.messages--;
    this.stats.bytes -= slot.bytes;
  }

  private async dropOldest(): Promise<void> {
    const e = this.entries[0];
    if (!e) return;
    this.stats.droppedMessages++;
    this.stats.droppedBytes += e.bytes;
    await this.remove(e.id);
  }

  private async enforceBound(): Promise<void> {
    while (this.stats.bytes > this.maxBytes && this.entries.length > 1) await this.dropOldest();
  }

  private file(id: number): string {
    return path.join(this.dir, `${String(id).padStart(16, "0")}.msg`);
  }
}

function headText(entry: SpoolEntry): string {
  return `${entry.subject}\n${entry.msgId}\n${entry.traceparent}\n`;
}
