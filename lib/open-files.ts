import { closeSync, openSync, readFileSync, readSync } from "node:fs";
import path from "node:path";

/** The buffer every load reads into: small pseudo-files fit the first size; it grows for a larger one. */
let buffer = Buffer.allocUnsafe(64 * 1024);

/** What the last `load` read (valid until the next one, of any `OpenFiles`). */
export function loadedBytes(): Buffer {
  return buffer;
}

/**
 * Pseudo-files (cgroup, /proc, /sys) read every cycle, kept open between cycles and read again
 * from offset 0 with one `pread` each: ~5 µs per file here against ~20 µs for readFileSync's
 * open/fstat/read/close (and fs.promises is slower still, reference/perf-baselines.md). A file
 * that was removed (a cgroup torn down answers ENODEV) reads as missing. Files are named by a
 * directory and a name unique among the names this set is asked for (the name is the key).
 * `close()` when done.
 */
export class OpenFiles {
  /** fd per name; null when the file does not exist (not looked for again). */
  private readonly fds = new Map<string, number | null>();

  /**
   * Reads `dir/name` into the shared buffer (`loadedBytes()`) and returns how many bytes it
   * holds, or -1 when the file does not exist (or no longer does).
   */
  load(dir: string, name: string): number {
    let fd = this.fds.get(name);
    if (fd === null) return -1;
    if (fd === undefined) {
      const file = path.join(dir, name);
      try {
        fd = openSync(file, "r");
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EMFILE" || code === "ENFILE") return loadUncached(file); // out of descriptors: the slow way
        if (isMissing(err)) {
          this.fds.set(name, null);
          return -1;
        }
        throw err;
      }
      this.fds.set(name, fd);
    }
    try {
      for (;;) {
        const n = readSync(fd, buffer, 0, buffer.length, 0);
        if (n < buffer.length) return n;
        buffer = Buffer.allocUnsafe(buffer.length * 2); // it may have more: read it whole
      }
    } catch (err) {
      if (isMissing(err)) return -1;
      throw err;
    }
  }

  /** The text of `dir/name`, or undefined when it does not exist. */
  read(dir: string, name: string, encoding: "latin1" | "utf8" = "latin1"): string | undefined {
    const n = this.load(dir, name);
    return n < 0 ? undefined : buffer.toString(encoding, 0, n);
  }

  /** Closes the file `name` (it is opened again when asked for). */
  forget(name: string): void {
    const fd = this.fds.get(name);
    if (fd !== undefined && fd !== null) closeSync(fd);
    this.fds.delete(name);
  }

  close(): void {
    for (const fd of this.fds.values()) if (fd !== null) closeSync(fd);
    this.fds.clear();
  }
}

function loadUncached(file: string): number {
  try {
    const data = readFileSync(file);
    if (data.length > buffer.length) buffer = Buffer.allocUnsafe(data.length);
    data.copy(buffer);
    return data.length;
  } catch (err) {
    if (isMissing(err)) return -1;
    throw err;
  }
}

/** ENOENT, or ENODEV/ESRCH for a cgroup or process that is being torn down. */
function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === "ENOENT" || code === "ENODEV" || code === "ESRCH" || code === "ENOTDIR";
}
