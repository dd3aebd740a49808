import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Spool } from "../../agent/publish/spool.js";

const dir = () => mkdtempSync(path.join(tmpdir(), "vigie-spool-"));
const bytes = (s: string) => Buffer.from(s);

describe("spool", () => {
  it("gives messages back oldest first, and forgets them once removed", async () => {
    const s = await Spool.open(dir(), 1 << 20);
    await s.append("a.subject", "b:1", bytes("one"));
    await s.append("a.subject", "b:2", bytes("two"));
    const first = await s.peek();
    expect(first).toMatchObject({ subject: "a.subject", msgId: "b:1" });
    expect(Buffer.from(first!.data).toString()).toBe("one");
    await s.remove(first!.id);
    expect((await s.peek())?.msgId).toBe("b:2");
    expect(s.size).toBe(1);
  });

  it("survives a restart, in order, and keeps numbering after the last file", async () => {
    const d = dir();
    const s = await Spool.open(d, 1 << 20);
    await s.append("x", "b:1", bytes("1"));
    await s.append("x", "b:2", bytes("2"));
    await s.close(); // what is still waiting is written at shutdown
    const again = await Spool.open(d, 1 << 20);
    expect(again.size).toBe(2);
    await again.append("x", "c:1", bytes("3"));
    const ids: string[] = [];
    for (let e = await again.peek(); e; e = await again.peek()) {
      ids.push(e.msgId);
      await again.remove(e.id);
    }
    expect(ids).toEqual(["b:1", "b:2", "c:1"]);
  });

  it("drops the oldest past its bound and counts what it dropped", async () => {
    const d = dir();
    const s = await Spool.open(d, 100, { writeAfterMs: 0 });
    for (let i = 1; i <= 10; i++) await s.append("s", `b:${i}`, Buffer.alloc(20));
    expect(s.stats.bytes).toBeLessThanOrEqual(100);
    expect(s.stats.droppedMessages).toBeGreaterThan(0);
    expect(s.stats.droppedMessages + s.size).toBe(10);
    expect((await s.peek())?.msgId).toBe(`b:${s.stats.droppedMessages + 1}`);
    expect(readdirSync(d).length).toBe(s.size);
  });

  it("drops a damaged file and counts it, instead of stalling", async () => {
    const d = dir();
    writeFileSync(path.join(d, "0000000000000001.msg"), "garbage-without-newlines");
    const s = await Spool.open(d, 1 << 20);
    await s.append("x", "b:1", bytes("ok"));
    expect((await s.peek())?.msgId).toBe("b:1");
    expect(s.stats.droppedMessages).toBe(1);
  });

  it("writes every message to disk, and hands back the ones it holds in memory without reading them again", async () => {
    const d = dir();
    // Room in memory for the first two messages (29 bytes each with their heads), not the third.
    const s = await Spool.open(d, 1 << 20, { inMemoryBytes: 60, writeAfterMs: 0 });
    for (let i = 1; i <= 3; i++) await s.append("s.x", `b:${i}`, Buffer.alloc(20, i));
    const files = readdirSync(d).sort();
    expect(files).toHaveLength(3);
    expect(readFileSync(path.join(d, files[2]!)).subarray(-20)).toEqual(Buffer.alloc(20, 3));
    // Damage every file: the in-memory messages are still whole, the third is read (and found damaged).
    for (const f of files) writeFileSync(path.join(d, f), "damaged");
    const got: string[] = [];
    for (let e = await s.peek(); e; e = await s.peek()) {
      got.push(`${e.msgId}=${Buffer.from(e.data).toString("hex").slice(0, 2)}`);
      await s.remove(e.id);
    }
    expect(got).toEqual(["b:1=01", "b:2=02"]);
    expect(s.stats.droppedMessages).toBe(1);
    expect(readdirSync(d)).toEqual([]);
  });

  it("reads from disk what it does not hold in memory", async () => {
    const d = dir();
    const s = await Spool.open(d, 1 << 20, { inMemoryBytes: 0 });
    await s.append("s.x", "b:1", bytes("from disk"));
    const [file] = readdirSync(d);
    writeFileSync(path.join(d, file!), "s.x\nb:1\n\nchanged on disk");
    expect(Buffer.from((await s.peek())!.data).toString()).toBe("changed on disk");
    unlinkSync(path.join(d, file!));
    expect(await s.peek()).toBeUndefined();
  });

  it("does not write a message acknowledged in time; writes one still waiting after the delay", async () => {
    const d = dir();
    const s = await Spool.open(d, 1 << 20, { writeAfterMs: 50 });
    await s.append("s.x", "b:1", bytes("acked at once"));
    await s.remove((await s.peek())!.id);
    await s.append("s.x", "b:2", bytes("waits"));
    expect(readdirSync(d)).toEqual([]);
    for (let i = 0; i < 300 && s.stats.writtenMessages === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(s.stats.writtenMessages).toBe(1);
    expect(readdirSync(d)).toEqual(["0000000000000002.msg"]);
    await s.remove((await s.peek())!.id);
    expect(readdirSync(d)).toEqual([]);
    expect(s.size).toBe(0);
  });

  it("writes what is waiting when closed, for the next start", async () => {
    const d = dir();
    const s = await Spool.open(d, 1 << 20, { writeAfterMs: 60_000 });
    for (let i = 1; i <= 3; i++) await s.append("s.x", `b:${i}`, bytes(`m${i}`));
    await s.remove((await s.peek())!.id);
    await s.close();
    await s.append("s.x", "b:4", bytes("m4")); // after close (a shutdown's last events): written at once
    const again = await Spool.open(d, 1 << 20);
    const got: string[] = [];
    for (let e = await again.peek(); e; e = await again.peek()) {
      got.push(`${e.msgId}=${Buffer.from(e.data).toString()}`);
      await again.remove(e.id);
    }
    expect(got).toEqual(["b:2=m2", "b:3=m3", "b:4=m4"]);
  });

  it("keeps a message it cannot write in memory, counts the failure, and writes it at a later try", async () => {
    const d = dir();
    const s = await Spool.open(d, 1 << 20, { writeAfterMs: 10, writeRetryMs: 100 });
    const until = async (what: () => boolean) => {
      for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(what()).toBe(true);
    };
    rmSync(d, { recursive: true }); // the disk goes away under it
    await s.append("s.x", "b:1", bytes("kept"));
    await until(() => s.stats.writeErrors >= 1);
    expect(Buffer.from((await s.peek())!.data).toString()).toBe("kept");
    await new Promise((r) => setTimeout(r, 250));
    expect(s.stats.writeErrors).toBeLessThanOrEqual(4); // tried again every 100 ms, not in a tight loop
    mkdirSync(d);
    // Counted once the rename is done: then the file is in place.
    await until(() => s.stats.writtenMessages === 1);
    expect(readdirSync(d)).toEqual(["0000000000000001.msg"]);
  });

  it("writes a message appended ahead to disk before append resolves, whatever writeAfterMs says", async () => {
    const d = dir();
    const s = await Spool.open(d, 1 << 20, { writeAfterMs: 60_000 });
    await s.append("s.m", "b:1", bytes("metrics, behind"));
    await s.append("s.e", "b:2", bytes("die event, ahead"), "", { writeAhead: true });
    expect(readdirSync(d)).toEqual(["0000000000000002.msg"]);
    // A restart right now (nothing closed: the process was killed) still has the event.
    const again = await Spool.open(d, 1 << 20);
    expect((await again.peek())?.msgId).toBe("b:2");
  });

  it("hands a message written ahead to the publisher only once its file is on disk", async () => {
    const d = dir();
    const s = await Spool.open(d, 1 << 20, { writeAfterMs: 60_000 });
    const appending = s.append("s.e", "b:1", bytes("event"), "", { writeAhead: true });
    const peeked = await s.peek(); // asked while the write is on its way
    expect(peeked?.msgId).toBe("b:1");
    expect(readdirSync(d)).toEqual(["0000000000000001.msg"]);
    await appending;
  });

  it("refuses a message it cannot write ahead: append rejects and the spool does not keep it", async () => {
    const d = dir();
    const s = await Spool.open(d, 1 << 20, { writeAfterMs: 60_000 });
    rmSync(d, { recursive: true });
    await expect(s.append("s.e", "b:1", bytes("event"), "", { writeAhead: true })).rejects.toThrow();
    expect(s.size).toBe(0);
    expect(s.stats).toMatchObject({ messages: 0, bytes: 0, writeErrors: 1, droppedMessages: 0 });
    expect(await s.peek()).toBeUndefined();
  });
});
