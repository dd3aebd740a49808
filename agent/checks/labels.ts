import { CheckConfigSchema, errorDefinition, toDefinition, type CheckDefinition } from "./config.js";

/**
 * Checks declared on containers and services with `vigie.check.*` labels:
 *
 *   vigie.check.url          full URL (http, https, tcp)            — or —
 *   vigie.check.port         port on the container; with .path (default /), .scheme (http|https|tcp, default http)
 *   vigie.check.method, .interval, .timeout, .name, .insecure (true|false)
 *   vigie.check.conditions   conditions separated by `;`
 *   vigie.check.headers      `Name: value` pairs separated by `;`, or a JSON object
 *   vigie.check.failure-threshold, vigie.check.success-threshold
 *
 * `vigie.check.port` is probed on 127.0.0.1 and so needs host networking: Vigie does not probe
 * container addresses on bridge or overlay networks (a check in `error` says so; use
 * `vigie.check.url` with an address the node can reach instead). A label that does not parse
 * gives a check in `error` with the reason, never silence.
 */
export interface CheckTarget {
  /** Container id. */
  id: string;
  /** Container name (without the leading `/`). */
  name: string;
  labels: Record<string, string>;
  /** Swarm service name (`shop_web`), when the container is a task. */
  service?: string;
  /** Whether the container shares the host's network namespace. */
  hostNetwork?: boolean;
}

export const LABEL_PREFIX = "vigie.check.";
const KNOWN = new Set(["url", "port", "path", "scheme", "method", "interval", "timeout", "conditions", "headers", "name", "insecure", "failure-threshold", "success-threshold"]);
const FIELD_TO_LABEL: Record<string, string> = { failureThreshold: "failure-threshold", successThreshold: "success-threshold" };

/** The check a container declares, undefined when it has no `vigie.check.*` label. */
export function checkFromLabels(target: CheckTarget): CheckDefinition | undefined {
  const own: Record<string, string> = {};
  for (const [k, v] of Object.entries(target.labels)) if (k.startsWith(LABEL_PREFIX)) own[k.slice(LABEL_PREFIX.length)] = v;
  if (Object.keys(own).length === 0) return undefined;

  const namespace = target.labels["com.docker.stack.namespace"];
  const service = target.service ?? target.labels["com.docker.swarm.service.name"];
  const shortService = service && namespace && service.startsWith(`${namespace}_`) ? service.slice(namespace.length + 1) : service;
  const resource: Record<string, string> = { "container.id": target.id, "container.name": target.name };
  if (shortService) resource["service.name"] = shortService;
  if (namespace) resource["service.namespace"] = namespace;
  const id = `container/${target.name}`;
  const name = own.name ?? service ?? target.name;
  const problems: string[] = [];

  for (const k of Object.keys(own)) if (!KNOWN.has(k)) problems.push(`unknown label ${LABEL_PREFIX}${k}`);

  let url: string | undefined;
  // The target as labelled, shown with a check in error so that its endpoint is known.
  let labelled = own.url?.trim();
  if (own.url !== undefined && own.port !== undefined) problems.push(`set ${LABEL_PREFIX}url or ${LABEL_PREFIX}port, not both`);
  else if (own.url !== undefined) url = own.url.trim();
  else if (own.port !== undefined) {
    const port = Number(own.port);
    const scheme = (own.scheme ?? "http").toLowerCase();
    if (!/^\d{1,5}$/.test(own.port.trim()) || port < 1 || port > 65535) problems.push(`${LABEL_PREFIX}port ${JSON.stringify(own.port)} is not a port number`);
    else if (!["http", "https", "tcp"].includes(scheme)) problems.push(`${LABEL_PREFIX}scheme ${JSON.stringify(own.scheme)} is not http, https or tcp`);
    else {
      const path = scheme === "tcp" ? "" : own.path?.trim() || "/";
      labelled = `${scheme}://127.0.0.1:${port}${path.startsWith("/") || path === "" ? path : `/${path}`}`;
      if (target.hostNetwork) url = labelled;
      else problems.push(`${LABEL_PREFIX}port needs host networking (Vigie does not probe container addresses); use ${LABEL_PREFIX}url with an address this node can reach`);
    }
  } else problems.push(`${LABEL_PREFIX}url or ${LABEL_PREFIX}port is required`);
  if (own.path !== undefined && own.url !== undefined) problems.push(`${LABEL_PREFIX}path goes with ${LABEL_PREFIX}port; put the path in ${LABEL_PREFIX}url`);

  const headers = own.headers === undefined ? undefined : parseHeaders(own.headers, problems);
  const insecure = own.insecure === undefined ? undefined : parseBool(own.insecure, "insecure", problems);
  const thresholds = (key: string) => {
    const v = own[key];
    if (v === undefined) return undefined;
    if (!/^\d{1,4}$/.test(v.trim())) {
      problems.push(`${LABEL_PREFIX}${key} ${JSON.stringify(v)} is not a whole number`);
      return undefined;
    }
    return Number(v);
  };
  const input = {
    name: name.replace(/^[^A-Za-z0-9]+/, "").replace(/[^A-Za-z0-9_.:-]/g, "_").slice(0, 128) || "check",
    url: url ?? "http://127.0.0.1/",
    method: own.method?.trim(),
    headers,
    interval: own.interval?.trim(),
    timeout: own.timeout?.trim(),
    conditions: own.conditions
      ?.split(";")
      .map((c) => c.trim())
      .filter(Boolean),
    insecure,
    failureThreshold: thresholds("failure-threshold"),
    successThreshold: thresholds("success-threshold"),
  };
  const parsed = CheckConfigSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? "");
      const label = `${LABEL_PREFIX}${FIELD_TO_LABEL[field] ?? field}`;
      const which = field === "conditions" && typeof issue.path[1] === "number" ? ` (condition ${issue.path[1] + 1})` : "";
      problems.push(`${label}${which}: ${issue.message}`);
    }
  }
  const intervalMs = parsed.success ? parsed.data.interval : undefined;
  if (problems.length > 0) return errorDefinition(id, input.name, problems.join("; "), resource, intervalMs, parseUrl(labelled));
  if (!parsed.success) return undefined; // unreachable: a failed parse always adds a problem
  const def = toDefinition(parsed.data, id, resource);
  return { ...def, fingerprint: JSON.stringify({ labels: own, hostNetwork: target.hostNetwork ?? false, resource }) };
}

function parseUrl(text: string | undefined): URL | undefined {
  if (text === undefined) return undefined;
  try {
    return new URL(text);
  } catch {
    return undefined; // the problem quotes it
  }
}

function parseHeaders(text: string, problems: string[]): Record<string, string> | undefined {
  const t = text.trim();
  if (t.startsWith("{")) {
    try {
      const obj = JSON.parse(t) as unknown;
      if (obj && typeof obj === "object" && !Array.isArray(obj) && Object.values(obj).every((v) => typeof v === "string")) return obj as Record<string, string>;
    } catch {
      // reported below
    }
    problems.push(`${LABEL_PREFIX}headers is not a JSON object of strings`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const part of t.split(";").map((p) => p.trim()).filter(Boolean)) {
    const i = part.indexOf(":");
    const name = i > 0 ? part.slice(0, i).trim() : "";
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      problems.push(`${LABEL_PREFIX}headers: ${JSON.stringify(part)} is not "Name: value"`);
      continue;
    }
    out[name] = part.slice(i + 1).trim();
  }
  return out;
}

function parseBool(v: string, key: string, problems: string[]): boolean | undefined {
  const s = v.trim().toLowerCase();
  if (s === "true" || s === "1" || s === "yes") return true;
  if (s === "false" || s === "0" || s === "no") return false;
  problems.push(`${LABEL_PREFIX}${key} ${JSON.stringify(v)} is not true or false`);
  return undefined;
}
