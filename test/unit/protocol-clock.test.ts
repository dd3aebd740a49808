import { describe, expect, it } from "vitest";
import { checkTimes, DEFAULT_CLOCK_POLICY } from "../../collector/ingest/clock.js";
import type { CheckResult, Envelope } from "../../protocol/index.js";

const NOW = 1_800_000_000_000;
const header = { schema: "vigie.v1" as const, node: { id: "n1", hostname: "h1" }, agent: { version: "t", bootId: "b", seq: 1 } };
const metrics = (time: number): Envelope => ({ ...header, kind: "metrics", time, payload: { resources: [] } });
const result = (time: number, stateSince: number): CheckResult => ({
  check: { id: "c", name: "c", type: "http", intervalSeconds: 10 },
  target: {},
  resource: {},
  time,
  up: true,
  status: "pass",
  state: "up",
  stateSince,
  durationSeconds: 0.01,
});

describe("clock-skew policy", () => {
  it("refuses a sample time far in the future or the past, naming the field", () => {
    for (const t of [9e15, NOW + DEFAULT_CLOCK_POLICY.maxFutureMs + 1, NOW + 86_400_000, 0, NOW - DEFAULT_CLOCK_POLICY.maxAgeMs - 1]) {
      const e = checkTimes(metrics(t), NOW);
      expect(e?.code).toBe("clock_skew");
      expect(e?.path).toBe("time");
    }
  });

  it("takes times within the skew ahead and within the age behind", () => {
    for (const t of [NOW, NOW + DEFAULT_CLOCK_POLICY.maxFutureMs, NOW - 3_600_000, NOW - DEFAULT_CLOCK_POLICY.maxAgeMs]) expect(checkTimes(metrics(t), NOW)).toBeUndefined();
  });

  it("bounds a check result's run time and stateSince; an old stateSince is fine", () => {
    const status = (r: CheckResult): Envelope => ({ ...header, kind: "status", time: NOW, payload: { results: [r] } });
    expect(checkTimes(status(result(NOW, NOW - 40 * 86_400_000)), NOW)).toBeUndefined();
    expect(checkTimes(status(result(NOW, 9e15)), NOW)?.path).toBe("payload.results[0].stateSince");
    expect(checkTimes(status(result(9e15, NOW)), NOW)?.path).toBe("payload.results[0].time");
  });

  it("bounds event and log times given in nanoseconds", () => {
    const ev = (ns: string): Envelope => ({ ...header, kind: "events", time: NOW, payload: { events: [{ timeUnixNano: ns, type: "container", action: "die", resource: {} }] } });
    expect(checkTimes(ev(`${NOW}000000`), NOW)).toBeUndefined();
    expect(checkTimes(ev("99999999999999999999"), NOW)?.code).toBe("clock_skew");
    const log = (ns: string): Envelope => ({ ...header, kind: "logs", time: NOW, payload: { records: [{ timeUnixNano: ns, severityNumber: 9, body: "x", resource: {} }] } });
    expect(checkTimes(log("1"), NOW)).toBeUndefined();
    expect(checkTimes(log(`${NOW + 86_400_000}000000`), NOW)?.path).toBe("payload.records[0].timeUnixNano");
  });

  it("follows a configured skew", () => {
    expect(checkTimes(metrics(NOW + 2000), NOW, { maxFutureMs: 1000, maxAgeMs: 60_000 })?.code).toBe("clock_skew");
    expect(checkTimes(metrics(NOW + 2000), NOW, { maxFutureMs: 5000, maxAgeMs: 60_000 })).toBeUndefined();
  });
});
