import type { CheckResult } from "../../protocol/index.js";
import type { ProbeObservation } from "./conditions.js";
import type { CheckDefinition } from "./config.js";
import { parseHealthBody } from "./health.js";
import type { ProbeOutcome } from "./probe.js";
import { numericLeaves } from "./values.js";

/** The verdict on one run: everything of a result except identity and the thresholded state. */
export type Verdict = Pick<CheckResult, "up" | "status" | "httpStatusCode" | "durationSeconds" | "phases" | "tls" | "error" | "failedCondition" | "conditions" | "health" | "values">;

const JSON_TYPE = /^application\/(.+\+)?json$|^application\/vnd\.spring-boot\.actuator\.v\d+\+json$/i;

/**
 * Judges what a probe saw (pure). In order: the transport (timeout, dns, connect, tls); a health
 * body that says `fail` (`body_status`, with the failing components); an HTTP status outside
 * 2xx/3xx unless a condition reads `[STATUS]` (`http_status`); a JSON body that does not parse
 * when it says it is JSON or a condition reads it (`body_parse`); then the conditions, all of
 * which must hold (`condition`, naming the first that did not with the value seen).
 * `wallNow` (Unix ms) dates the certificate's expiry.
 */
export function judge(def: CheckDefinition, o: ProbeOutcome, wallNow: number): Verdict {
  const v: Verdict = { up: false, status: "fail", durationSeconds: o.durationMs / 1000 };
  if (o.status !== undefined) v.httpStatusCode = o.status;
  const phases = Object.fromEntries(Object.entries(o.phases).map(([k, ms]) => [k, ms / 1000]));
  if (Object.keys(phases).length > 0) v.phases = phases;
  if (o.tls) v.tls = { notAfter: isNaN(o.tls.notAfter.getTime()) ? "" : o.tls.notAfter.toISOString(), issuer: o.tls.issuer.slice(0, 1024), subject: o.tls.subject.slice(0, 1024), authorized: o.tls.authorized };
  if (o.error) {
    v.error = { type: o.error.type, message: o.error.message.slice(0, 2048) };
    return v;
  }

  const readsStatus = def.conditions.some((c) => c.readsStatus);
  const readsBody = def.conditions.some((c) => c.readsBodyJson);
  const contentType = o.contentType?.split(";")[0]?.trim() ?? "";
  const saysJson = JSON_TYPE.test(contentType);
  let json: unknown;
  let jsonError: string | undefined;
  if (o.body !== undefined && o.body.length > 0 && (saysJson || readsBody || /^\s*[{[]/.test(o.body))) {
    if (o.bodyTruncated) jsonError = "body larger than the limit";
    else {
      try {
        json = JSON.parse(o.body);
      } catch (err) {
        jsonError = (err as Error).message;
      }
    }
  }
  const health = json !== undefined ? parseHealthBody(json, contentType) : undefined;
  if (health) v.health = health.rawStatus === undefined ? { format: health.format, components: health.components } : { format: health.format, rawStatus: health.rawStatus, components: health.components };
  // The body's numbers go to the collector whatever the verdict: a busy endpoint that fails its check still says how busy.
  const values = numericLeaves(json);
  if (values) v.values = values;

  const obs: ProbeObservation = {
    status: o.status,
    responseTimeMs: o.durationMs,
    connected: o.connected,
    body: o.body,
    json,
    jsonError,
    certificateExpirationMs: o.tls && !isNaN(o.tls.notAfter.getTime()) ? o.tls.notAfter.getTime() - wallNow : undefined,
    ip: o.ip,
  };
  const outcomes = def.conditions.map((c) => c.evaluate(obs));
  if (outcomes.length > 0) v.conditions = outcomes.map((c) => ({ condition: c.pretty.slice(0, 1024), success: c.success }));

  const statusText = o.status !== undefined ? `HTTP ${o.status}` : "no HTTP status";
  if (health?.status === "fail") {
    const failing = health.components.filter((c) => c.status === "fail").map((c) => c.name);
    v.error = { type: "body_status", message: `health ${health.rawStatus ?? "fail"} (${statusText})${failing.length ? `; failing: ${failing.slice(0, 20).join(", ")}` : ""}` };
  } else if (def.type === "http" && !readsStatus && o.status !== undefined && (o.status < 200 || o.status >= 400)) {
    v.error = { type: "http_status", message: `${statusText}, expected 2xx or 3xx` };
  } else if (jsonError !== undefined && (saysJson || readsBody)) {
    v.error = { type: "body_parse", message: `body is not valid JSON: ${jsonError}`.slice(0, 2048) };
  } else {
    const failed = outcomes.find((c) => !c.success);
    if (failed) {
      v.failedCondition = failed.pretty.slice(0, 1024);
      v.error = { type: "condition", message: `condition failed: ${failed.pretty}`.slice(0, 2048) };
    }
  }
  v.up = v.error === undefined;
  v.status = v.error ? "fail" : (health?.status ?? "pass");
  return v;
}
