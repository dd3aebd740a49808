import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { JetStreamClient } from "@nats-io/jetstream";
import { describe, expect, it } from "vitest";
import { Publisher } from "../../agent/publish/publisher.js";
import { Spool } from "../../agent/publish/spool.js";
import { testLog } from "../support/log.js";
import { waitFor } from "../support/wait.js";

/** A JetStream stand-in that keeps what it stores, dedups by message id, and can forget or fail. */
function fakeJetStream() {
  const stored = new Map<string, string>();
  let failing = false;
  const js = {
    publish: async (_subject: string, data: Uint8Array, opts: { msgID: string }) => {
      if (failing) throw new Error("timeout");
      const duplicate = stored.has(opts.msgID);
      stored.set(opts.msgID, Buffer.from(data).toString());
      return { stream: "S", seq: stored.size, duplicate };
    },
  } as unknown as JetStreamClient;
  return { js, stored, fail: (v: boolean) => (failing = v) };
}

const spool = async () => Spool.open(mkdtempSync(path.join(tmpdir(), "vigie-pub-")), 1 << 20);

describe("publisher", () => {
  it("removes a message from the spool only once acknowledged, in order", async () => {
    const s = await spool();
    const fake = fakeJetStream();
    const p = new Publisher(s, testLog, { backoffInitialMs: 5, backoffMaxMs: 20 });
    fake.fail(true);
    p.attach(fake.js);
    for (let i = 1; i <= 3; i++) await s.append("x", `b:${i}`, Buffer.from(String(i)));
    p.wake();
    await waitFor("a failed attempt", () => p.stats.errors > 0);
    expect(s.size).toBe(3);
    fake.fail(false);
    await waitFor("the spool drained", () => s.size === 0);
    expect([...fake.stored.keys()]).toEqual(["b:1", "b:2", "b:3"]);
    expect(p.stats.published).toBe(3);
    await p.stop();
  });

  it("after a reconnect, sends recent messages again: the server's duplicates cost nothing, lost ones come back", async () => {
    const s = await spool();
    const fake = fakeJetStream();
    let now = 1000;
    const p = new Publisher(s, testLog, { replayWindowMs: 10_000, now: () => now });
    p.attach(fake.js);
    for (let i = 1; i <= 3; i++) await s.append("x", `b:${i}`, Buffer.from(String(i)));
    p.wake();
    await waitFor("published", () => p.stats.published === 3);
    fake.stored.delete("b:3"); // the server died before writing its last acknowledged message
    now += 5000;
    p.attach(fake.js, true);
    await waitFor("the replay", () => p.stats.replayed === 3);
    expect(p.stats.recovered).toBe(1);
    expect(fake.stored.has("b:3")).toBe(true);

    // Past the window, nothing is replayed.
    now += 20_000;
    p.attach(fake.js, true);
    await new Promise((r) => setTimeout(r, 50));
    expect(p.stats.replayed).toBe(3);
    await p.stop();
  });
});
