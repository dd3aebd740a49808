import { open, stat, type FileHandle } from "node:fs/promises";
import { decodeJsonFileLine } from "./jsonfile.js";
import type { Checkpoint, RawEntry } from "./pipeline.js";
import { earliest, type LogTail, type ReadResult, type TailStats } from "./tail.js";

/** A place in a json-file log: the file (by inode, which rotation keeps) and a byte offset in it. */
export interface FileCursor {
  ino: number;
  off: number;
}

/** The engine rotates to `.1` … `.N` (`max-file`); more than this are not looked for. */
const MAX_ROTATED = 32;
/** A json-file entry holds at most 16 KiB of text, escaped; anything longer without a newline is not one. */
const MAX_ENTRY_BYTES = 1024 * 1024;

interface LogFile {
  path: string;
  ino: number;
}

/**
 * Tails a container's `json-file` log the way log shippers do: reads from a cursor, follows
 * rotation (`-json.log` renamed to `-json.log.1`, … and a new file made) by inode, finishes the
 * rotated file before going on, and notices truncation. Compressed rotated files (`.gz`) are
 * not read.
 */
export class JsonFileTail implements LogTail<FileCursor> {
  readonly mode = "file" as const;
  readonly stats: TailStats = { invalid: 0, lost: 0 };
  private readonly ranks = new Map<number, number>();
  private nextRank = 0;
  private fh: FileHandle | undefined;
  private ino = 0;
  /** Offset of the next byte to read from the file. */
  private off = 0;
  /** Bytes read that do not end in a newline yet (their entry is still being written). */
  private pending: Buffer = Buffer.alloc(0);
  private discarding = false;

  private constructor(private readonly file: string) {}

  static async open(file: string, checkpoint: Checkpoint<FileCursor> | undefined): Promise<JsonFileTail> {
    const tail = new JsonFileTail(file);
    await tail.start(checkpoint);
    return tail;
  }

  compare = (a: FileCursor, b: FileCursor): number => (a.ino === b.ino ? a.off - b.off : this.rank(a.ino) - this.rank(b.ino));

  async read(maxBytes: number, gone: boolean): Promise<ReadResult<FileCursor>> {
    if (!this.fh && !(await this.openAt(undefined))) return { entries: [], more: false, ended: gone };
    const fh = this.fh as FileHandle;
    const buf = Buffer.allocUnsafe(maxBytes);
    let { bytesRead } = await fh.read(buf, 0, maxBytes, this.off);
    if (bytesRead === 0) {
      const size = (await fh.stat()).size;
      if (size < this.off) {
        // Truncated in place (max-file=1, copytruncate): what was not read is gone.
        this.stats.lost++;
        this.off = 0;
        this.pending = Buffer.alloc(0);
        return { entries: [], more: true, ended: false };
      }
      const next = await this.successor();
      if (!next) return { entries: [], more: false, ended: gone };
      // Rotated: the engine may have written to the old file between our read and its rename.
      bytesRead = (await fh.read(buf, 0, maxBytes, this.off)).bytesRead;
      if (bytesRead === 0) {
        if (this.pending.length > 0) this.stats.invalid++;
        await this.switchTo(next, 0);
        return { entries: [], more: true, ended: false };
      }
    }
    const entries = this.lines(buf.subarray(0, bytesRead));
    this.off += bytesRead;
    return { entries, more: bytesRead === maxBytes, ended: false };
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
  }

  private lines(chunk: Buffer): RawEntry<FileCursor>[] {
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    const base = this.off - this.pending.length;
    const entries: RawEntry<FileCursor>[] = [];
    let start = 0;
    for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
      if (this.discarding) {
        this.discarding = false;
      } else {
        const e = decodeJsonFileLine(data.toString("utf8", start, nl));
        if (e) entries.push({ ...e, at: { ino: this.ino, off: base + start }, after: { ino: this.ino, off: base + nl + 1 } });
        else this.stats.invalid++;
      }
      start = nl + 1;
    }
    if (data.length - start > MAX_ENTRY_BYTES) {
      this.stats.invalid++;
      this.discarding = true;
      this.pending = Buffer.alloc(0);
    } else {
      this.pending = start >= data.length ? Buffer.alloc(0) : Buffer.from(data.subarray(start));
    }
    return entries;
  }

  private async start(checkpoint: Checkpoint<FileCursor> | undefined): Promise<void> {
    const chain = await this.chain();
    if (!checkpoint) {
      await this.openAt(chain[0]);
      return;
    }
    const from = earliest(checkpoint, this.compare);
    const file = chain.find((f) => f.ino === from.ino);
    if (file) {
      await this.switchTo(file, from.off);
      const size = this.fh ? (await this.fh.stat()).size : 0;
      if (size < from.off) {
        this.stats.lost++;
        this.off = 0;
      }
    } else {
      // The file of the position was rotated away while nobody read it.
      this.stats.lost++;
      await this.openAt(chain[0]);
    }
  }

  private async openAt(file: LogFile | undefined): Promise<boolean> {
    const target = file ?? (await this.chain())[0];
    if (!target) return false;
    await this.switchTo(target, 0);
    return this.fh !== undefined;
  }

  private async switchTo(file: LogFile, off: number): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
    try {
      this.fh = await open(file.path, "r");
    } catch {
      return; // rotated away between the listing and now: the next read looks again
    }
    this.ino = (await this.fh.stat()).ino;
    this.rank(this.ino);
    this.off = off;
    this.pending = Buffer.alloc(0);
    this.discarding = false;
  }

  /** The file after the one being read, when the engine has rotated; undefined while it is current. */
  private async successor(): Promise<LogFile | undefined> {
    const chain = await this.chain();
    const i = chain.findIndex((f) => f.ino === this.ino);
    if (i >= 0) return chain[i + 1];
    // The file being read was removed (rotated past max-file): the oldest left comes next.
    const first = chain[0];
    if (first) this.stats.lost++;
    return first;
  }

  /** The log's files, oldest first, each ranked in the order it was first seen. */
  private async chain(): Promise<LogFile[]> {
    const files: LogFile[] = [];
    for (let n = 1; n <= MAX_ROTATED; n++) {
      const f = await inode(`${this.file}.${n}`);
      if (!f) break;
      files.unshift(f);
    }
    const current = await inode(this.file);
    if (current) files.push(current);
    for (const f of files) this.rank(f.ino);
    return files;
  }

  private rank(ino: number): number {
    let r = this.ranks.get(ino);
    if (r === undefined) {
      r = this.nextRank++;
      this.ranks.set(ino, r);
    }
    return r;
  }
}

async function inode(path: string): Promise<LogFile | undefined> {
  try {
    return { path, ino: (await stat(path)).ino };
  } catch {
    return undefined;
  }
}
