import { describe, expect, it } from "vitest";
import { AlertsSectionSchema, buildRoute } from "../../collector/alerts/config.js";
import { EventNotices } from "../../collector/alerts/event-notices.js";
import type { Alert } from "../../collector/alerts/state.js";
import { AlertStore } from "../../collector/alerts/store.js";
import type { AutoscaleEvent } from "../../collector/autoscale/audit.js";
import { scaleNotice } from "../../collector/autoscale/notice.js";
import { Notifier } from "../../collector/notify/notifier.js";
import type { DeliveryOutcome, Notification, Receiver } from "../../collector/notify/receiver.js";
import { testLog } from "../support/log.js";

const event = (e: Partial<AutoscaleEvent> = {}): AutoscaleEvent => ({
  id: 1,
  time: 5_000,
  lastTime: 5_000,
  count: 1,
  service: "shop_worker",
  reason: "scaled",
  direction: "up",
  from: 2,
  to: 4,
  dryRun: false,
  message: "observed/target 2.00: 2 → 4",
  inputs: {},
  ...e,
});

describe("scaleNotice", () => {
  it("notifies what the mode asks for, as a VigieAutoscale alert carrying service, stack, direction and reason", () => {
    const n = scaleNotice(event(), "shop", "scaled");
    expect(n).toEqual({
      labels: { alertname: "VigieAutoscale", severity: "info", service: "shop_worker", stack: "shop", direction: "up", reason: "scaled", from: "2", to: "4" },
      annotations: { summary: "Vigie scaled shop_worker up from 2 to 4 replicas", description: "observed/target 2.00: 2 → 4" },
      at: 5_000,
      value: 4,
    });
    const failed = event({ reason: "failed", to: 2, message: "update out of sequence, 3 attempts", inputs: { wanted: 4 } });
    const dry = event({ reason: "dry_run", dryRun: true });
    const held = event({ reason: "cooldown", direction: "none", to: 2 });
    const table = (["off", "scaled", "actions"] as const).map((mode) => [mode, [event(), failed, dry, held].map((e) => scaleNotice(e, undefined, mode)?.labels.reason ?? "-")]);
    expect(table).toEqual([
      ["off", ["-", "-", "-", "-"]],
      ["scaled", ["scaled", "-", "-", "-"]],
      ["actions", ["scaled", "failed", "dry_run", "-"]],
    ]);
    // A failure names the count it aimed at, and warns.
    expect(scaleNotice(failed, undefined, "actions")).toMatchObject({ labels: { severity: "warning", from: "2", to: "4" }, annotations: { summary: "Vigie could not scale shop_worker up from 2 to 4 replicas" } });
    expect(scaleNotice(event(), undefined, "scaled")?.labels.stack).toBeUndefined();
  });
});

class RecordingReceiver implements Receiver {
  readonly kind = "test";
  readonly sent: Notification[] = [];
  constructor(
    readonly name: string,
    readonly sendResolved: boolean,
  ) {}
  async send(n: Notification): Promise<DeliveryOutcome> {
    this.sent.push(n);
    return { ok: true };
  }
}

describe("EventNotices (events through the alert routing)", () => {
  function setup() {
    const section = AlertsSectionSchema.parse({
      receivers: [{ name: "ops", webhook: { url: "http://127.0.0.1:1/ops" } }, { name: "team", webhook: { url: "http://127.0.0.1:1/team" } }],
      route: { receiver: "team", groupWait: "10s", groupInterval: "1m", routes: [{ matchers: ['alertname="VigieAutoscale"', 'service=~"shop_.*"'], receiver: "ops", groupBy: ["alertname", "service"], groupWait: "2s", groupInterval: "10s" }] },
    });
    const route = buildRoute(section);
    const ops = new RecordingReceiver("ops", false);
    const team = new RecordingReceiver("team", true);
    let now = 100_000;
    const store = new AlertStore(":memory:");
    const notifier = new Notifier({ route, receivers: [ops, team], inhibitRules: [], store, silences: () => [], externalUrl: "http://127.0.0.1:9480", log: testLog, now: () => now });
    const notices = new EventNotices(notifier, { route });
    const tick = async (ms: number) => {
      for (let t = 0; t < ms; t += 1000) {
        now += 1000;
        await notifier.tick(now);
      }
    };
    return { notices, notifier, ops, team, store, tick, now: () => now };
  }
  const notice = (from: number, to: number, service = "shop_worker") => scaleNotice(event({ service, from, to, direction: to > from ? "up" : "down" }), "shop", "scaled") as NonNullable<ReturnType<typeof scaleNotice>>;

  it("sends a scaling to the receiver its labels route it to, once, with the engine's alerts left as they were", async () => {
    const s = setup();
    const engineAlert: Alert = { fingerprint: "f1", rule: "NodeDown", status: "firing", labels: { alertname: "NodeDown", node: "n1" }, annotations: {}, startsAt: 0, value: 1, missing: false };
    s.notices.submit([engineAlert], s.now());
    expect(s.notices.notify(notice(2, 4), s.now())).toBe(true);
    await s.tick(3_000);
    expect(s.ops.sent.map((n) => n.alerts.map((a) => `${a.labels.alertname} ${a.labels.from}→${a.labels.to} ${a.status}`))).toEqual([["VigieAutoscale 2→4 firing"]]);
    expect(s.ops.sent[0]?.groupLabels).toEqual({ alertname: "VigieAutoscale", service: "shop_worker" });
    // The scaling went through the route tree: the engine's alert still goes to the root's receiver, the scaling not.
    await s.tick(10_000);
    expect(s.team.sent.flatMap((n) => n.alerts.map((a) => a.labels.alertname))).toEqual(["NodeDown"]);
    expect(s.ops.sent).toHaveLength(1);

    // A second scaling is news; the first, its time up, is resolved at the next evaluation and leaves quietly (ops does not want resolved).
    s.notices.notify(notice(4, 8), s.now());
    await s.tick(11_000);
    expect(s.ops.sent.map((n) => n.alerts.map((a) => `${a.labels.from}→${a.labels.to}`))).toEqual([["2→4"], ["2→4", "4→8"]]);
    s.notices.submit([engineAlert], s.now());
    await s.tick(11_000);
    s.notices.submit([engineAlert], s.now());
    await s.tick(11_000);
    expect(s.ops.sent).toHaveLength(2);
    s.store.close();
  });

  it("refuses a notice that is no alert, and bounds how many stay open", () => {
    const s = setup();
    expect(s.notices.notify({ labels: { service: "x" }, annotations: {}, at: 0 }, s.now())).toBe(false);
    expect(s.notices.notify({ labels: { alertname: "X", "bad label": "1" }, annotations: {}, at: 0 }, s.now())).toBe(false);
    expect(s.notices.notify({ labels: { alertname: "X", v: "x".repeat(2000) }, annotations: {}, at: 0 }, s.now())).toBe(false);
    const small = new EventNotices({ submit: () => {} }, { route: buildRoute(AlertsSectionSchema.parse({})), maxOpen: 3 });
    for (let i = 0; i < 10; i++) small.notify({ labels: { alertname: "X", i: String(i) }, annotations: {}, at: 0 }, 0);
    expect(small.stats).toEqual({ notified: 10, refused: 0, evicted: 7 });
    expect(s.notices.stats.refused).toBe(3);
    s.store.close();
  });
});
