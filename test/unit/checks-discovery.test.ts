import { describe, expect, it } from "vitest";
import { configuredChecks } from "../../agent/checks/config.js";
import { judge } from "../../agent/checks/judge.js";
import { checkFromLabels, type CheckTarget } from "../../agent/checks/labels.js";
import type { ProbeOutcome } from "../../agent/checks/probe.js";

const target = (labels: Record<string, string>, extra: Partial<CheckTarget> = {}): CheckTarget => ({ id: "c0ffee", name: "shop_web.1.abc", labels, hostNetwork: true, ...extra });

describe("checks from labels", () => {
  it("ignores containers without vigie.check labels", () => {
    expect(checkFromLabels(target({ "com.docker.stack.namespace": "shop" }))).toBeUndefined();
  });

  it("builds a loopback URL from port and path on host networking, with the service as resource", () => {
    const def = checkFromLabels(
      target({
        "vigie.check.port": "8080",
        "vigie.check.path": "/actuator/health",
        "vigie.check.interval": "5s",
        "vigie.check.timeout": "2s",
        "vigie.check.conditions": "[STATUS] == 200; [BODY].status == UP",
        "vigie.check.headers": "Accept: application/json; X-Probe: vigie",
        "com.docker.swarm.service.name": "shop_web",
        "com.docker.stack.namespace": "shop",
      }),
    )!;
    expect(def.configError).toBeUndefined();
    expect(def.id).toBe("container/shop_web.1.abc");
    expect(def.name).toBe("shop_web");
    expect(def.url?.href).toBe("http://127.0.0.1:8080/actuator/health");
    expect(def).toMatchObject({ intervalMs: 5000, timeoutMs: 2000, headers: { Accept: "application/json", "X-Probe": "vigie" } });
    expect(def.conditions.map((c) => c.text)).toEqual(["[STATUS] == 200", "[BODY].status == UP"]);
    expect(def.resource).toEqual({ "container.id": "c0ffee", "container.name": "shop_web.1.abc", "service.name": "web", "service.namespace": "shop" });
  });

  it("takes a full URL, a TCP scheme and thresholds", () => {
    expect(checkFromLabels(target({ "vigie.check.url": "https://127.0.0.1:8443/health", "vigie.check.insecure": "true" }))).toMatchObject({ type: "http", insecure: true });
    expect(checkFromLabels(target({ "vigie.check.port": "5432", "vigie.check.scheme": "tcp", "vigie.check.failure-threshold": "5" }))).toMatchObject({
      type: "tcp",
      failureThreshold: 5,
      url: new URL("tcp://127.0.0.1:5432"),
    });
  });

  it.each([
    [{ "vigie.check.port": "80" }, { hostNetwork: false }, "needs host networking"],
    [{ "vigie.check.port": "eighty" }, {}, "is not a port number"],
    [{ "vigie.check.url": "ftp://x/" }, {}, "scheme ftp not supported"],
    [{ "vigie.check.url": "http://x/", "vigie.check.port": "80" }, {}, "not both"],
    [{ "vigie.check.path": "/health" }, {}, "vigie.check.url or vigie.check.port is required"],
    [{ "vigie.check.port": "80", "vigie.check.interval": "soon" }, {}, "vigie.check.interval"],
    [{ "vigie.check.port": "80", "vigie.check.conditions": "[STATUS] == 200; [STATUS] = 200" }, {}, "vigie.check.conditions (condition 2): column 10"],
    [{ "vigie.check.port": "80", "vigie.check.colour": "red" }, {}, "unknown label vigie.check.colour"],
    [{ "vigie.check.port": "80", "vigie.check.headers": "no colon here" }, {}, "is not \"Name: value\""],
    [{ "vigie.check.port": "80", "vigie.check.insecure": "maybe" }, {}, "is not true or false"],
  ])("labels %j give a check in error: %s", (labels, extra, reason) => {
    const def = checkFromLabels(target(labels, extra))!;
    expect(def).toBeDefined();
    expect(def.configError).toContain(reason);
    expect(def.id).toBe("container/shop_web.1.abc");
  });

  it.each([
    [{ "vigie.check.port": "5432", "vigie.check.scheme": "tcp" }, { hostNetwork: false }, "tcp://127.0.0.1:5432", "tcp"],
    [{ "vigie.check.port": "80", "vigie.check.path": "/health", "vigie.check.conditions": "[STATUS] = 200" }, {}, "http://127.0.0.1/health", "http"],
    [{ "vigie.check.url": "https://api.example.test:8443/health", "vigie.check.port": "80" }, {}, "https://api.example.test:8443/health", "http"],
  ])("labels %j give a check in error that still names its target", (labels, extra, url, type) => {
    const def = checkFromLabels(target(labels, extra))!;
    expect(def.configError).toBeDefined();
    expect({ type: def.type, url: def.url?.href }).toEqual({ type, url });
  });

  it("gives a check in error whose declared target changed a new fingerprint (so its target is shown anew)", () => {
    const a = checkFromLabels(target({ "vigie.check.port": "80" }, { hostNetwork: false }))!;
    const b = checkFromLabels(target({ "vigie.check.port": "81" }, { hostNetwork: false }))!;
    expect(a.configError).toBe(b.configError);
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it("changes the fingerprint when a label changes, so rediscovery restarts the check", () => {
    const a = checkFromLabels(target({ "vigie.check.port": "80" }))!;
    const b = checkFromLabels(target({ "vigie.check.port": "81" }))!;
    expect(a.fingerprint).not.toBe(b.fingerprint);
    expect(checkFromLabels(target({ "vigie.check.port": "80" }))!.fingerprint).toBe(a.fingerprint);
  });
});

describe("configured checks", () => {
  it("applies defaults and rejects malformed conditions naming the check and column", () => {
    const [def] = configuredChecks([{ name: "api", url: "http://127.0.0.1:1/health" }]);
    expect(def).toMatchObject({ id: "config/api", intervalMs: 30_000, timeoutMs: 10_000, failureThreshold: 3, successThreshold: 2, method: "GET" });
    expect(() => configuredChecks([{ name: "api", url: "http://127.0.0.1/", conditions: ["[STATUS] == 200", "len([BODY] > 1"] }])).toThrow(/checks\.0\.conditions\.1: column 4/);
    expect(() => configuredChecks([{ name: "api", url: "http://127.0.0.1/" }, { name: "api", url: "http://127.0.0.1/" }])).toThrow(/duplicate check name/);
    expect(() => configuredChecks([{ name: "x", url: "tcp://127.0.0.1" }])).toThrow(/needs a port/);
  });
});

describe("judging a probe outcome", () => {
  const def = (conditions: string[] = []) => configuredChecks([{ name: "t", url: "http://127.0.0.1:1/", conditions }])[0]!;
  const outcome = (o: Partial<ProbeOutcome>): ProbeOutcome => ({ connected: true, durationMs: 12, phases: { connect: 1, firstByte: 10 }, status: 200, ...o });

  it("passes a 200 and reports phases in seconds", () => {
    const v = judge(def(), outcome({ body: "ok" }), 0);
    expect(v).toMatchObject({ up: true, status: "pass", httpStatusCode: 200, durationSeconds: 0.012, phases: { connect: 0.001, firstByte: 0.01 } });
    expect(v.error).toBeUndefined();
  });

  it("reports a failing health body as body_status with its failing components", () => {
    const body = JSON.stringify({ status: "DOWN", components: { db: { status: "DOWN" }, ping: { status: "UP" } } });
    const v = judge(def(), outcome({ status: 503, body, contentType: "application/json" }), 0);
    expect(v).toMatchObject({ up: false, status: "fail", error: { type: "body_status" } });
    expect(v.error?.message).toBe("health DOWN (HTTP 503); failing: db");
    expect(v.health?.components).toHaveLength(2);
  });

  it("reports warn as up with status warn", () => {
    const v = judge(def(), outcome({ body: '{"status":"warn"}', contentType: "application/health+json" }), 0);
    expect(v).toMatchObject({ up: true, status: "warn" });
  });

  it("reports an unexpected status as http_status unless a condition reads [STATUS]", () => {
    expect(judge(def(), outcome({ status: 500, body: "" }), 0).error?.type).toBe("http_status");
    expect(judge(def(["[STATUS] == 500"]), outcome({ status: 500, body: "" }), 0).up).toBe(true);
  });

  it("reports malformed JSON as body_parse", () => {
    const v = judge(def(), outcome({ body: '{"status": "UP"', contentType: "application/json" }), 0);
    expect(v.error?.type).toBe("body_parse");
  });

  it("names the failed condition with the value seen", () => {
    const v = judge(def(["[STATUS] == 200", "[BODY].items[0] == a"]), outcome({ body: '{"items":["b"]}', contentType: "application/json" }), 0);
    expect(v).toMatchObject({ up: false, failedCondition: "[BODY].items[0] (b) == a", error: { type: "condition" } });
    expect(v.conditions).toEqual([
      { condition: "[STATUS] (200) == 200", success: true },
      { condition: "[BODY].items[0] (b) == a", success: false },
    ]);
  });

  it("keeps transport errors and the certificate facts", () => {
    const notAfter = new Date("2030-01-01T00:00:00Z");
    const v = judge(def(), { connected: true, durationMs: 3, phases: {}, tls: { notAfter, issuer: "CN=x", subject: "CN=x", authorized: false }, error: { type: "tls", message: "self-signed" } }, 0);
    expect(v).toMatchObject({ up: false, status: "fail", error: { type: "tls" }, tls: { notAfter: "2030-01-01T00:00:00.000Z", authorized: false } });
  });
});
