import { appendFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { ApiStreamTail, type ApiCursor } from "../../agent/logs/api-tail.js";
import type { RawEntry } from "../../agent/logs/pipeline.js";
import { defaultLogsConfig, LogsConfigSchema, type LogsConfigInput } from "../../agent/logs/config.js";
import { Demuxer } from "../../agent/logs/demux.js";
import { JsonFileTail } from "../../agent/logs/file-tail.js";
import { LogSource } from "../../agent/logs/source.js";
import type { LogContainer, LogStreamOpener } from "../../agent/logs/ports.js";
import type { LogRecord } from "../../protocol/index.js";
import { testLog } from "../support/log.js";
import { waitFor } from "../support/wait.js";

const ID = "a".repeat(64);
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(path.join(os.tmpdir(), "vigie-logs-"));
  dirs.push(d);
  return d;
}

const jsonLine = (text: string, stream = "stdout", i = 0): string => `${JSON.stringify({ log: `${text}\n`, stream, time: `2026-12-02T15:45:31.${String(i).padStart(9, "0")}Z` })}\n`;

/** A host root holding one container's json-file log, as the engine lays it out. */
function hostWithLog(): { root: string; logPath: string; file: string; container: LogContainer } {
  const root = tmp();
  const logPath = `/var/lib/docker/containers/${ID}/${ID}-json.log`;
  const file = path.join(root, logPath);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, "");
  return { root, logPath, file, container: { id: ID, name: "api", labels: {}, logDriver: "json-file", logPath, tty: false, resource: { "container.id": ID, "service.name": "api" } } };
}

describe("JsonFileTail", () => {
  it("reads entries, follows a rotation, and finishes the rotated file first", async () => {
    const { file } = hostWithLog();
    for (let i = 0; i < 3; i++) appendFileSync(file, jsonLine(`a${i}`, "stdout", i));
    const tail = await JsonFileTail.open(file, undefined);
    const texts: string[] = [];
    const drain = async () => {
      for (let r = await tail.read(64, false); ; r = await tail.read(64, false)) {
        texts.push(...r.entries.map((e) => e.text));
        if (!r.more && r.entries.length === 0) break;
      }
    };
    await drain();
    appendFileSync(file, jsonLine("a3", "stdout", 3));
    renameSync(file, `${file}.1`); // the engine rotates: the rest of a3 is in .1
    writeFileSync(file, jsonLine("b0", "stderr", 4));
    await drain();
    await drain();
    expect(texts).toEqual(["a0", "a1", "a2", "a3", "b0"]);
    expect(tail.stats).toEqual({ invalid: 0, lost: 0 });
    await tail.close();
  });
  it("holds back an entry still being written, and counts lines that are not entries", async () => {
    const { file } = hostWithLog();
    const whole = jsonLine("complete");
    appendFileSync(file, `not json\n${whole.slice(0, 20)}`);
    const tail = await JsonFileTail.open(file, undefined);
    expect((await tail.read(1 << 16, false)).entries).toHaveLength(0);
    appendFileSync(file, whole.slice(20));
    const r = await tail.read(1 << 16, false);
    expect(r.entries.map((e) => [e.text, e.at.off])).toEqual([["complete", 9]]);
    expect(tail.stats.invalid).toBe(1);
    await tail.close();
  });
});

describe("Demuxer", () => {
  const frame = (stream: number, text: string): Buffer => {
    const payload = Buffer.from(text);
    const h = Buffer.alloc(8);
    h[0] = stream;
    h.writeUInt32BE(payload.length, 4);
    return Buffer.concat([h, payload]);
  };
  it("splits frames across any chunking and tells stdout from stderr", () => {
    const all = Buffer.concat([frame(1, "out\n"), frame(2, "err\n"), frame(1, "more\n")]);
    const d = new Demuxer();
    const got = [];
    for (let i = 0; i < all.length; i += 3) got.push(...d.push(all.subarray(i, i + 3)));
    expect(got.map((f) => [f.stream, f.payload.toString()])).toEqual([["stdout", "out\n"], ["stderr", "err\n"], ["stdout", "more\n"]]);
  });
  it("cuts a frame past the bound and stays in step after it", () => {
    const d = new Demuxer(4);
    const got = [...d.push(frame(1, "0123456789")), ...d.push(frame(2, "ok"))];
    expect(got.map((f) => f.payload.toString())).toEqual(["0123", "ok"]);
  });
});

describe("ApiStreamTail", () => {
  it("asks for the log since the checkpoint and numbers the entries of one timestamp", async () => {
    const sinces: (string | undefined)[] = [];
    const lines = ["2026-12-02T15:45:31.000000001Z one\n", "2026-12-02T15:45:31.000000001Z two\r\n", "2026-12-02T15:45:31.000000002Z three\n", "garbage\n"];
    const opener: LogStreamOpener = async (_id, since) => {
      sinces.push(since);
      const s = new PassThrough();
      s.end(lines.join(""));
      return s;
    };
    const tail = await ApiStreamTail.open(opener, ID, true, { stdout: { t: "1796226331000000001", n: 1 }, stderr: { t: "1796226331000000001", n: 1 } });
    const entries: RawEntry<ApiCursor>[] = [];
    await waitFor("the stream's end", async () => {
      const r = await tail.read(1 << 16);
      entries.push(...r.entries);
      return r.ended;
    }, 2000);
    expect(sinces).toEqual(["1796226331.000000001"]);
    expect(entries.map((e) => [e.text, e.at.t, e.at.n, e.partial])).toEqual([
      ["one", "1796226331000000001", 0, false],
      ["two\r", "1796226331000000001", 1, false],
      ["three", "1796226331000000002", 0, false],
    ]);
    expect(tail.stats.invalid).toBe(1);
    await tail.close();
  });
});

describe("LogSource", () => {
  function source(host: ReturnType<typeof hostWithLog>, got: LogRecord[], config: LogsConfigInput = {}, sink?: (r: LogRecord[]) => void) {
    return new LogSource({
      lister: async () => [host.container],
      sink: sink ?? ((records) => void got.push(...records)),
      config: LogsConfigSchema.parse({ pollInterval: 20, listInterval: 500, multiline: { flushAfter: 50 }, ...config }),
      hostRoot: host.root,
      stateDir: path.join(host.root, "state"),
      log: testLog,
    });
  }

  it("stopped mid-stream and started again, neither loses nor repeats a line", async () => {
    const host = hostWithLog();
    const got: LogRecord[] = [];
    for (let i = 0; i < 50; i++) appendFileSync(host.file, jsonLine(`line ${i}`, i % 3 ? "stdout" : "stderr", i));
    const first = source(host, got);
    first.start();
    await waitFor("first lines", () => got.length >= 50, 5000);
    await first.stop();
    for (let i = 50; i < 100; i++) appendFileSync(host.file, jsonLine(`line ${i}`, i % 3 ? "stdout" : "stderr", i));
    const second = source(host, got);
    second.start();
    await waitFor("all lines", () => got.length >= 100, 5000);
    await new Promise((r) => setTimeout(r, 200));
    await second.stop();
    const bodies = got.map((r) => r.body as string).sort((a, b) => Number(a.split(" ")[1]) - Number(b.split(" ")[1]));
    expect(bodies).toEqual(Array.from({ length: 100 }, (_, i) => `line ${i}`));
    expect(got[0]?.resource).toEqual(host.container.resource);
  });

  it("gives lines read again after their position was lost the uids they had, each line its own", async () => {
    const host = hostWithLog();
    for (let i = 0; i < 30; i++) appendFileSync(host.file, jsonLine(`line ${i}`, i % 3 ? "stdout" : "stderr", i));
    const uids = async (): Promise<unknown[]> => {
      const got: LogRecord[] = [];
      const s = source(host, got);
      s.start();
      await waitFor("every line", () => got.length >= 30, 5000);
      await s.stop();
      return got.map((r) => r.attributes?.["log.record.uid"]).sort();
    };
    const first = await uids();
    // As after a kill between the spool's acceptance and the position's write: everything is read again.
    rmSync(path.join(host.root, "state"), { recursive: true, force: true });
    const second = await uids();
    expect(new Set(first).size).toBe(30);
    expect(first.every((u) => typeof u === "string" && u.startsWith(`${ID.slice(0, 12)}-f`))).toBe(true);
    expect(second).toEqual(first);
  });

  it("reads records the sink refused again, once", async () => {
    const host = hostWithLog();
    const got: LogRecord[] = [];
    let refuse = 1;
    for (let i = 0; i < 10; i++) appendFileSync(host.file, jsonLine(`line ${i}`, "stdout", i));
    const s = source(host, got, {}, (records) => {
      if (refuse-- > 0) throw new Error("spool full");
      got.push(...records);
    });
    s.start();
    await waitFor("lines after a refusal", () => got.length >= 10, 5000);
    await new Promise((r) => setTimeout(r, 100));
    await s.stop();
    expect(got.map((r) => r.body)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i}`));
    expect(s.stats()[0]?.sinkErrors).toBe(1);
  });

  it("leaves out a container labelled vigie.logs=false", async () => {
    const host = hostWithLog();
    host.container.labels = { "vigie.logs": "false" };
    appendFileSync(host.file, jsonLine("secret stuff"));
    const got: LogRecord[] = [];
    const s = source(host, got);
    s.start();
    await new Promise((r) => setTimeout(r, 150));
    await s.stop();
    expect(got).toHaveLength(0);
    expect(s.stats()).toHaveLength(0);
  });

  it("never reads a LogPath that is not the container's own file", async () => {
    const host = hostWithLog();
    host.container.logPath = "/etc/../etc/shadow";
    const got: LogRecord[] = [];
    const s = new LogSource({ lister: async () => [host.container], sink: (r) => void got.push(...r), config: defaultLogsConfig(), hostRoot: host.root, stateDir: path.join(host.root, "state"), log: testLog });
    s.start();
    await new Promise((r) => setTimeout(r, 100));
    await s.stop();
    expect(s.stats()).toHaveLength(0); // no file, no stream opener: not followed
  });
});
