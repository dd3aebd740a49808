import type { CheckComponent, CheckStatus } from "../../protocol/index.js";

/**
 * Health bodies: `application/health+json` (draft-inadarei-api-health-check-06) and Spring Boot
 * Actuator (`components`, the pre-2.2 `details`, and 1.x indicators at the root), normalized to
 * pass/warn/fail/unknown with their components (reference standards §5).
 */
export interface HealthVerdict {
  format: "health+json" | "spring-actuator";
  status: CheckStatus;
  rawStatus?: string;
  components: CheckComponent[];
}

const MAX_COMPONENTS = 500;
const MAX_DEPTH = 16;

/** `pass|ok|up` → pass, `warn` → warn, `fail|error|down|out_of_service` → fail, anything else → unknown. */
export function normalizeStatus(raw: unknown): CheckStatus {
  if (typeof raw !== "string") return "unknown";
  switch (raw.trim().toLowerCase()) {
    case "pass":
    case "ok":
    case "up":
      return "pass";
    case "warn":
    case "warning":
      return "warn";
    case "fail":
    case "error":
    case "down":
    case "out_of_service":
      return "fail";
    default:
      return "unknown";
  }
}

const SPRING_WORDS = new Set(["UP", "DOWN", "OUT_OF_SERVICE", "UNKNOWN"]);
const HEALTH_JSON_WORDS = new Set(["pass", "ok", "up", "warn", "fail", "error", "down"]);

/**
 * Recognizes a health body by its media type, else by its shape; returns undefined for other
 * JSON (which conditions judge).
 */
export function parseHealthBody(json: unknown, contentType?: string): HealthVerdict | undefined {
  if (!isObject(json) || typeof json.status !== "string") return undefined;
  const type = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === "application/health+json") return healthJson(json);
  if (type.startsWith("application/vnd.spring-boot.actuator")) return spring(json);
  if (isObject(json.checks)) return healthJson(json);
  if (isObject(json.components) || isObject(json.details) || SPRING_WORDS.has(json.status)) return spring(json);
  if (HEALTH_JSON_WORDS.has(json.status.toLowerCase())) return healthJson(json);
  return undefined;
}

function healthJson(body: Record<string, unknown>): HealthVerdict {
  const components: CheckComponent[] = [];
  if (isObject(body.checks)) {
    for (const [key, value] of Object.entries(body.checks)) {
      const entries = Array.isArray(value) ? value : [value];
      entries.forEach((e, i) => {
        if (!isObject(e) || components.length >= MAX_COMPONENTS) return;
        const id = typeof e.componentId === "string" ? e.componentId : String(i);
        components.push(
          compact({
            name: clip(entries.length > 1 ? `${key || "-"}/${id}` : key || "-", 256),
            status: normalizeStatus(e.status),
            rawStatus: typeof e.status === "string" ? clip(e.status, 64) : undefined,
            componentType: typeof e.componentType === "string" ? clip(e.componentType, 256) : undefined,
            observedValue: observed(e.observedValue),
            observedUnit: typeof e.observedUnit === "string" ? clip(e.observedUnit, 64) : undefined,
            output: typeof e.output === "string" && e.output ? clip(e.output, 1024) : undefined,
          }),
        );
      });
    }
  }
  return { format: "health+json", status: normalizeStatus(body.status), rawStatus: clip(String(body.status), 64), components };
}

function spring(body: Record<string, unknown>): HealthVerdict {
  const components: CheckComponent[] = [];
  collectSpring(body, "", components, 0);
  return { format: "spring-actuator", status: normalizeStatus(body.status), rawStatus: clip(String(body.status), 64), components };
}

/** Walks `components`, else `details` (when its values carry a status), else root-level indicators (1.x). */
function collectSpring(node: Record<string, unknown>, prefix: string, out: CheckComponent[], depth: number): void {
  if (depth >= MAX_DEPTH) return;
  const children = springChildren(node, depth === 0);
  for (const [name, child] of children) {
    if (out.length >= MAX_COMPONENTS) return;
    const full = prefix ? `${prefix}/${name || "-"}` : name || "-";
    out.push(compact({ name: clip(full, 256), status: normalizeStatus(child.status), rawStatus: clip(String(child.status), 64), output: springOutput(child) }));
    collectSpring(child, full, out, depth + 1);
  }
}

function springChildren(node: Record<string, unknown>, root: boolean): [string, Record<string, unknown>][] {
  const withStatus = (o: unknown) => (isObject(o) ? Object.entries(o).filter((e): e is [string, Record<string, unknown>] => isObject(e[1]) && typeof e[1].status === "string") : []);
  if (isObject(node.components)) return withStatus(node.components);
  const details = withStatus(node.details);
  if (details.length > 0) return details;
  return root ? withStatus(Object.fromEntries(Object.entries(node).filter(([k]) => k !== "status" && k !== "details" && k !== "groups"))) : [];
}

/** A down indicator's `details.error` is the reason operators want to see. */
function springOutput(c: Record<string, unknown>): string | undefined {
  if (isObject(c.details) && typeof c.details.error === "string") return clip(c.details.error, 1024);
  return undefined;
}

function observed(v: unknown): string | number | boolean | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string") return clip(v, 1024);
  if (typeof v === "boolean") return v;
  if (v === undefined || v === null) return undefined;
  return clip(JSON.stringify(v), 1024);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) : s;
}

function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
