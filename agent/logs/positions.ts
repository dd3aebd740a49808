import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

const ID = /^[0-9a-f]{64}$/;

/** What is remembered per container: how it was read, and where each stream resumes. */
export interface Position {
  mode: "file" | "api";
  checkpoint: unknown;
}

/**
 * One small file per container under the agent's data dir (`<id>.json`), replaced atomically
 * (written beside, then renamed): a crash leaves the old position or the new one, never half
 * of one. Written only after the sink accepted the records it covers.
 */
export class PositionStore {
  private constructor(private readonly dir: string) {}

  static async open(dir: string): Promise<PositionStore> {
    await mkdir(dir, { recursive: true });
    return new PositionStore(dir);
  }

  async load(id: string): Promise<Position | undefined> {
    if (!ID.test(id)) return undefined;
    try {
      const v = JSON.parse(await readFile(this.file(id), "utf8")) as Partial<Position>;
      return v.mode === "file" || v.mode === "api" ? { mode: v.mode, checkpoint: v.checkpoint } : undefined;
    } catch {
      return undefined; // none yet, or unreadable: read the container's log from its start
    }
  }

  async save(id: string, position: Position): Promise<void> {
    if (!ID.test(id)) return;
    const file = this.file(id);
    const tmp = `${file}.tmp`;
    await writeFile(tmp, JSON.stringify(position));
    await rename(tmp, file);
  }

  /** Removes the positions of containers not in `keep` that were not written for `olderThanMs`. */
  async prune(keep: ReadonlySet<string>, olderThanMs: number, now: number): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.dir)) {
      const id = name.replace(/\.json(\.tmp)?$/, "");
      if (keep.has(id)) continue;
      const file = path.join(this.dir, name);
      try {
        if (now - (await stat(file)).mtimeMs > olderThanMs) {
          await unlink(file);
          removed++;
        }
      } catch {
        // gone meanwhile
      }
    }
    return removed;
  }

  private file(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }
}
