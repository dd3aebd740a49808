import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadedBytes, OpenFiles } from "../../lib/index.js";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe("OpenFiles", () => {
  it("reads a file again from its start each time, kept open, and sees what was written since", () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "vigie-open-"));
    writeFileSync(path.join(dir, "a"), "first\n");
    const files = new OpenFiles();
    expect(files.read(dir, "a")).toBe("first\n");
    writeFileSync(path.join(dir, "a"), "second, longer\n");
    const n = files.load(dir, "a");
    expect(loadedBytes().toString("latin1", 0, n)).toBe("second, longer\n");
    files.close();
  });

  it("reads a file larger than its buffer whole", () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "vigie-open-"));
    const big = "x".repeat(200_000) + "end";
    writeFileSync(path.join(dir, "big"), big);
    const files = new OpenFiles();
    expect(files.read(dir, "big")).toBe(big);
    expect(files.read(dir, "big")?.length).toBe(big.length);
    files.close();
  });

  it("says a missing file is missing, and a file read as UTF-8 keeps its characters", () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "vigie-open-"));
    const files = new OpenFiles();
    expect(files.load(dir, "none")).toBe(-1);
    expect(files.read(dir, "none")).toBeUndefined();
    writeFileSync(path.join(dir, "u"), "/mnt/données\n");
    expect(files.read(dir, "u", "utf8")).toBe("/mnt/données\n");
    files.close();
  });
});
