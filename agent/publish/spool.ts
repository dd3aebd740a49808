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
}

const NAME = /^(\d{16})\.msg$/;

/**
 * Messages appended by this process are also kept in memory, up to this many bytes in all, so
 * publishing one does not read back the file just written. Past it (NATS down for a while),
 * they are read from disk when their turn comes.
 */
const IN_MEMORY_BYTES = 8 * 1024 * 1024;

interface Slot {
  id: number;
  bytes: number;
  /** The message itself while it is held in memory. */
  entry?: SpoolEntry;
}

/**
 * A bounded on-disk queue of messages waiting for JetStream's acknowledgement. A message is
 * written (atomically: temp file, then rename) before it is published and deleted only once
 * acknowledged; past `maxBytes` the oldest messages are dropped and counted. Survives restarts.
 * File layout: `<16-digit id>.msg` holding `subject\nmsgId\ntraceparent\n` then the message bytes.
 */
export class Spool {
  private readonly entries: Slot[] = [];
  private nextId = 1;
  private memoryBytes = 0;
  readonly stats: SpoolStats = { messages: 0, bytes: 0, droppedMessages: 0, droppedBytes: 0 };

  private constructor(
    readonly dir: string,
    private readonly maxBytes: number,
    private readonly inMemoryBytes: number,
  ) {}

  /** `inMemoryBytes`: how much of what this process appends is also held in memory (default 8 MiB). */
  static async open(dir: string, maxBytes: number, inMemoryBytes = IN_MEMORY_BYTES): Promise<Spool> {
    await mkdir(dir, { recursive: true });
    const spool = new Spool(dir, maxBytes, inMemoryBytes);
    const names = (await readdir(dir)).filter((n) => NAME.test(n)).sort();
    for (const name of names) {
      const id = Number(NAME.exec(name)?.[1]);
      const { size } = await stat(path.join(dir, name));
      spool.entries.push({ id, bytes: size });
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

  async append(subject: string, msgId: string, data: Uint8Array, traceparent = ""): Promise<void> {
    const id = this.nextId++;
    const head = Buffer.from(`${subject}\n${msgId}\n${traceparent}\n`, "utf8");
    const file = this.file(id);
    const fh = await open(`${file}.tmp`, "w");
    try {
      await fh.writev([head, data]);
    } finally {
      await fh.close();
    }
    await rename(`${file}.tmp`, file);
    const bytes = head.byteLength + data.byteLength;
    const slot: Slot = { id, bytes };
    if (this.memoryBytes + bytes <= this.inMemoryBytes) {
      slot.entry = { id, subject, msgId, traceparent, data };
      this.memoryBytes += bytes;
    }
    this.entries.push(slot);
    this.stats.messages++;
    this.stats.bytes += bytes;
    await this.enforceBound();
  }

  /** The oldest waiting message, or undefined when the spool is empty. */
  async peek(): Promise<SpoolEntry | undefined> {
    while (this.entries.length > 0) {
      const first = this.entries[0] as Slot;
      if (first.entry) return first.entry;
      let buf: Buffer;
      try {
        buf = await readFile(this.file(first.id));
      } catch {
        this.forget(first.id);
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

  /** Deletes an acknowledged message. */
  async remove(id: number): Promise<void> {
    await unlink(this.file(id)).catch(() => undefined);
    this.forget(id);
  }

  private forget(id: number): void {
    const i = this.entries.findIndex((e) => e.id === id);
    if (i < 0) return;
    const [e] = this.entries.splice(i, 1);
    if (e?.entry) this.memoryBytes -= e.bytes;
    this.stats.messages--;
    this.stats.bytes -= e?.bytes ?? 0;
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
