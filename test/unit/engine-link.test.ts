import { describe, expect, it } from "vitest";
import { EngineError } from "../../agent/containers/engine-client.js";
import { EngineLink, EngineUnavailableError } from "../../agent/containers/engine.js";

const refused = () => Promise.reject(new EngineError("connect ECONNREFUSED /var/run/docker.sock", undefined, "ECONNREFUSED"));

function link() {
  let t = 0;
  const changes: [boolean, string | undefined][] = [];
  const l = new EngineLink({ onChange: (up, error) => changes.push([up, error]), retryInitialMs: 100, retryMaxMs: 350, now: () => t });
  return { l, changes, advance: (ms: number) => (t += ms) };
}

describe("EngineLink (circuit breaker in front of the Docker engine)", () => {
  it("opens on the first failure, then lets one call through after a wait that doubles up to its ceiling", async () => {
    const { l, changes, advance } = link();
    let calls = 0;
    const down = () => {
      calls++;
      return refused();
    };
    await expect(l.call(down)).rejects.toThrow("ECONNREFUSED");
    expect(l.up).toBe(false);
    await expect(l.call(down)).rejects.toBeInstanceOf(EngineUnavailableError);
    expect(calls).toBe(1);
    const waits: number[] = [];
    for (let round = 0; round < 4; round++) {
      let waited = 0;
      while (calls === round + 1) {
        advance(10);
        waited += 10;
        await l.call(down).catch(() => undefined);
      }
      waits.push(waited);
    }
    expect(waits).toEqual([100, 200, 350, 350]);
    expect(changes).toEqual([[false, "connect ECONNREFUSED /var/run/docker.sock"]]);
  });

  it("closes at the first answer and says so once; a 404 is an answer", async () => {
    const { l, changes, advance } = link();
    await expect(l.call(refused)).rejects.toThrow();
    advance(100);
    await expect(l.call(() => Promise.reject(new EngineError("no such container", 404)))).rejects.toThrow("no such container");
    expect(l.up).toBe(true);
    expect(await l.call(async () => "ok")).toBe("ok");
    expect(await l.call(async () => "again")).toBe("again");
    expect(changes.map(([up]) => up)).toEqual([false, true]);
  });

  it("lets only one call through while the engine is being tried again", async () => {
    const { l, advance } = link();
    await expect(l.call(refused)).rejects.toThrow();
    advance(100);
    let release!: () => void;
    const slow = l.call(() => new Promise<string>((r) => (release = () => r("back"))));
    await expect(l.call(async () => "second")).rejects.toBeInstanceOf(EngineUnavailableError);
    release();
    expect(await slow).toBe("back");
    expect(await l.call(async () => "now")).toBe("now");
  });
});
