import { describe, expect, it } from "vitest";
import { buildRoute, AlertsSectionSchema } from "../../collector/alerts/config.js";
import { fingerprint, parseLabelMatchers, type Labels } from "../../collector/alerts/matchers.js";
import type { Alert } from "../../collector/alerts/state.js";
import type { NotifyLogEntry } from "../../collector/alerts/store.js";
import { decide, DispatchCore, type Flush } from "../../collector/notify/dispatch.js";
import { inhibited, silencedBy } from "../../collector/notify/mute.js";
import { matchRoutes } from "../../collector/notify/route.js";

const S = 1000;
function alert(labels: Labels, status: "firing" | "resolved" = "firing", extra: Partial<Alert> = {}): Alert {
  const l: Labels = { severity: "warning", ...labels };
  return { fingerprint: fingerprint(l), rule: l.alertname ?? "A", status, labels: l, annotations: {}, startsAt: 0, value: 1, missing: false, ...extra };
}
function route(yaml: object) {
  return buildRoute(AlertsSectionSchema.parse({ receivers: [{ name: "team", webhook: { url: "http://127.0.0.1:1/x" } }, { name: "db", webhook: { url: "http://127.0.0.1:1/y" } }], ...yaml }));
}

/** Plays the notifier's loop with a fake clock: what each flush sends (alertname list), against an in-memory notification log. */
function simulate(core: DispatchCore, steps: { at: number; submit?: Alert[] }[], until: number, opts = { sendResolved: true }) {
  const log = new Map<string, NotifyLogEntry>();
  const sent: string[] = [];
  let i = 0;
  for (let t = 0; t <= until; t += S) {
    while (i < steps.length && (steps[i] as { at: number }).at <= t) core.submit((steps[i++] as { submit?: Alert[] }).submit ?? [], t);
    for (const f of core.due(t)) {
      const d = decide(f, log.get(f.group.key), { ...opts, repeatIntervalMs: f.group.route.repeatIntervalMs, muted: () => false }, t);
      if (d.action !== "skip") log.set(f.group.key, d.entry);
      if (d.action === "send") sent.push(`${t / S}s ${d.alerts.map((a) => `${a.labels.alertname}:${a.status}`).join(",")}`);
      core.flushed(f);
    }
  }
  return sent;
}

describe("routing tree", () => {
  it("sends an alert to the first matching child, further ones only with continue, the root when none matches", () => {
    const r = route({ route: { receiver: "team", routes: [{ matchers: ["service=~db.*"], receiver: "db", continue: true }, { matchers: ["severity=critical"], receiver: "team", groupWait: "1s" }, { matchers: ["severity=~.+"], receiver: "db" }] } });
    expect(matchRoutes(r, { service: "db1", severity: "critical" }).map((x) => x.receiver)).toEqual(["db", "team"]);
    expect(matchRoutes(r, { severity: "critical" }).map((x) => [x.receiver, x.groupWaitMs])).toEqual([["team", 1000]]);
    expect(matchRoutes(r, {}).map((x) => x.id)).toEqual(["0"]);
  });
  it("children inherit timing and grouping they do not set", () => {
    const r = route({ route: { receiver: "team", groupBy: ["service"], groupInterval: "1m", routes: [{ matchers: ["a=b"], groupWait: "5s" }] } });
    const child = r.routes[0];
    expect([child?.receiver, child?.groupBy, child?.groupIntervalMs, child?.groupWaitMs]).toEqual(["team", ["service"], 60_000, 5_000]);
  });
  it("VIGIE_ALERTS_WEBHOOK alone makes the root send everything to that webhook", () => {
    const r = buildRoute(AlertsSectionSchema.parse({ webhook: "http://127.0.0.1:9/hook" }));
    expect(matchRoutes(r, { alertname: "X" }).map((x) => x.receiver)).toEqual(["vigie-webhook"]);
  });
});

describe("grouping and timing (fake clock)", () => {
  const r = route({ route: { receiver: "team", groupBy: ["alertname"], groupWait: "10s", groupInterval: "30s", repeatInterval: "2m" } });

  it("waits group_wait for a new group, sends late members together, then only on group_interval ticks", () => {
    const sent = simulate(new DispatchCore(r), [
      { at: 0, submit: [alert({ alertname: "A", node: "1" })] },
      { at: 5 * S, submit: [alert({ alertname: "A", node: "1" }), alert({ alertname: "A", node: "2" })] },
      { at: 15 * S, submit: [alert({ alertname: "A", node: "1" }), alert({ alertname: "A", node: "2" }), alert({ alertname: "A", node: "3" })] },
    ], 60 * S);
    expect(sent).toEqual(["10s A:firing,A:firing", "40s A:firing,A:firing,A:firing"]);
  });

  it("an alert resolved within group_wait sends nothing", () => {
    const a = alert({ alertname: "A" });
    const sent = simulate(new DispatchCore(r), [{ at: 0, submit: [a] }, { at: 5 * S, submit: [{ ...a, status: "resolved", endsAt: 5 * S }] }], 60 * S);
    expect(sent).toEqual([]);
  });

  it("repeats an unchanged group after repeat_interval, rounded up to a group_interval tick", () => {
    const a = alert({ alertname: "A" });
    const steps = Array.from({ length: 200 }, (_, i) => ({ at: i * S, submit: [a] }));
    const sent = simulate(new DispatchCore(r), steps, 200 * S);
    expect(sent).toEqual(["10s A:firing", "130s A:firing"]);
  });

  it("sends resolved when the receiver wants it; otherwise records it so the next firing is news", () => {
    const a = alert({ alertname: "A" });
    const steps = [{ at: 0, submit: [a] }, { at: 20 * S, submit: [{ ...a, status: "resolved" as const, endsAt: 20 * S }] }, { at: 50 * S, submit: [a] }];
    expect(simulate(new DispatchCore(r), steps, 100 * S)).toEqual(["10s A:firing", "40s A:resolved", "60s A:firing"]);
    expect(simulate(new DispatchCore(r), steps, 100 * S, { sendResolved: false })).toEqual(["10s A:firing", "60s A:firing"]);
  });

  it("says so when a firing alert's data goes missing", () => {
    const a = alert({ alertname: "A" });
    const steps = [{ at: 0, submit: [a] }, { at: 20 * S, submit: [{ ...a, missing: true }] }];
    expect(simulate(new DispatchCore(r), steps, 45 * S)).toEqual(["10s A:firing", "40s A:firing"]);
  });
});

describe("muting", () => {
  it("silences match by labels within their time range only", () => {
    const s = [{ id: "s1", matchers: parseLabelMatchers(["alertname=A", "node=~n[12]"]) as never, startsAt: 10, endsAt: 20 }];
    expect(silencedBy({ alertname: "A", node: "n1" }, s, 15)).toBe("s1");
    expect(silencedBy({ alertname: "A", node: "n3" }, s, 15)).toBeUndefined();
    expect(silencedBy({ alertname: "A", node: "n1" }, s, 20)).toBeUndefined();
  });
  it("a critical alert inhibits the warning with equal labels, not another node's", () => {
    const rule = { sourceMatchers: parseLabelMatchers(["severity=critical"]) as never, targetMatchers: parseLabelMatchers(["severity=warning"]) as never, equal: ["node"] };
    const crit = alert({ alertname: "Down", node: "n1", severity: "critical" });
    expect(inhibited(alert({ alertname: "Cpu", node: "n1" }), [crit], [rule])).toBe(true);
    expect(inhibited(alert({ alertname: "Cpu", node: "n2" }), [crit], [rule])).toBe(false);
    expect(inhibited(alert({ alertname: "Cpu", node: "n1" }), [{ ...crit, status: "resolved" }], [rule])).toBe(false);
  });
  it("muted alerts are left out of a flush, and a flush of only muted alerts sends nothing", () => {
    const core = new DispatchCore(route({ route: { receiver: "team", groupWait: "0s" } }));
    core.submit([alert({ alertname: "A" })], 0);
    const [f] = core.due(0) as [Flush];
    expect(decide(f, undefined, { sendResolved: true, repeatIntervalMs: 1, muted: () => true }, 0).action).toBe("skip");
  });
});
