import { describe, expect, it } from "vitest";
import type { DeliveryOutcome, Notification, Receiver } from "../../collector/notify/receiver.js";
import { postJson, webhookPayload } from "../../collector/notify/receiver.js";
import { sendWithRetry } from "../../collector/notify/retry.js";

const N: Notification = { receiver: "r", groupKey: "0:{}", groupLabels: {}, status: "firing", alerts: [], externalUrl: "http://127.0.0.1:9480" };

function scripted(outcomes: DeliveryOutcome[]): Receiver & { calls: number } {
  return {
    name: "r", kind: "test", sendResolved: true, calls: 0,
    async send() {
      return outcomes[Math.min(this.calls++, outcomes.length - 1)] as DeliveryOutcome;
    },
  };
}

describe("delivery retries", () => {
  const fail = { ok: false, retryable: true, error: "HTTP 503" } as const;
  it("retries a retryable failure with doubling pauses until it succeeds", async () => {
    const pauses: number[] = [];
    const r = scripted([fail, fail, { ok: true }]);
    const d = await sendWithRetry(r, N, new AbortController().signal, { deadlineMs: 60_000, baseMs: 100, random: () => 0.5, sleep: async (ms) => void pauses.push(ms) });
    expect([d.outcome.ok, d.attempts, pauses]).toEqual([true, 3, [100, 200]]);
  });
  it("does not retry what retrying cannot mend", async () => {
    const r = scripted([{ ok: false, retryable: false, error: "HTTP 400" }]);
    const d = await sendWithRetry(r, N, new AbortController().signal, { deadlineMs: 60_000, sleep: async () => undefined });
    expect(d.attempts).toBe(1);
  });
  it("stops at the deadline (the group interval) and at the attempt limit", async () => {
    let t = 0;
    const d = await sendWithRetry(scripted([fail]), N, new AbortController().signal, { deadlineMs: 2_500, baseMs: 1_000, random: () => 0.5, now: () => t, sleep: async (ms) => void (t += ms) });
    expect(d.attempts).toBe(2);
    const e = await sendWithRetry(scripted([fail]), N, new AbortController().signal, { deadlineMs: 1e9, attempts: 4, sleep: async () => undefined });
    expect(e).toEqual({ outcome: fail, attempts: 4 });
  });
  it("never shows a secret URL in a delivery error", async () => {
    const secret = "http://127.0.0.1:1/services/T000/B000/XXXXSECRET";
    const o = await postJson(secret, {}, new AbortController().signal, true);
    expect(o.ok).toBe(false);
    if (!o.ok) expect(o.error).not.toContain("XXXXSECRET");
  });
  it("truncates the webhook payload at max_alerts and counts the rest", () => {
    const a = { fingerprint: "f", rule: "A", status: "firing" as const, labels: { alertname: "A", x: "1" }, annotations: {}, startsAt: 0, value: 1, missing: false };
    const p = webhookPayload({ ...N, alerts: [a, { ...a, fingerprint: "g", labels: { alertname: "A", x: "2" } }] }, 1);
    expect([p.alerts.length, p.truncatedAlerts, p.commonLabels]).toEqual([1, 1, { alertname: "A" }]);
  });
});
