import { CHECK_VALUE_PATH, MAX_CHECK_VALUE_PATH, MAX_CHECK_VALUES } from "../../protocol/index.js";

/**
 * The numbers of a status body, by path, for the collector (the autoscaler's
 * `vigie.autoscale.metric=check:<path>` reads them). A status body is whatever the endpoint
 * answers, a hostile one included: the walk is bounded in depth, in nodes looked at and in
 * what it keeps, so a body of a million keys or a thousand levels costs what a small one does.
 */
export interface ValueLimits {
  /** Numbers kept. Default MAX_CHECK_VALUES (64), the protocol's bound. */
  maxValues: number;
  /** Levels below the root walked. Default 8. */
  maxDepth: number;
  /** Object members and array items looked at, in all. Default 4096. */
  maxVisited: number;
  /** Longest key taken; longer keys are skipped with what is under them. Default 64. */
  maxKeyChars: number;
  /** Array items looked at per array. Default 32. */
  maxItems: number;
}

export const VALUE_LIMITS: Readonly<ValueLimits> = { maxValues: MAX_CHECK_VALUES, maxDepth: 8, maxVisited: 4096, maxKeyChars: 64, maxItems: 32 };

/** Keys a path can name (the policy's path syntax) and that mean nothing special to a JavaScript object. */
const KEY = /^[A-Za-z0-9_$-]+$/;
const RESERVED = new Set(["__proto__", "constructor", "prototype"]);
/** A number written as a string (health+json's `observedValue` often is). */
const NUMERIC = /^-?\d{1,20}(\.\d{1,20})?([eE][+-]?\d{1,3})?$/;

/**
 * The numeric leaves of a parsed JSON object, breadth first (shallow numbers, which status
 * endpoints put their headline figures in, are kept before deep ones), as `path → number`.
 * Numbers and numeric strings count; booleans, nulls and other strings do not. Undefined when
 * the body is not an object or holds no number.
 *
 *   {"queue": {"depth": 42, "workers": [{"load": 0.5}]}, "status": "UP"}
 *     → {"queue.depth": 42, "queue.workers[0].load": 0.5}
 */
export function numericLeaves(json: unknown, limits: ValueLimits = VALUE_LIMITS): Record<string, number> | undefined {
  if (json === null || typeof json !== "object" || Array.isArray(json)) return undefined;
  const out: Record<string, number> = {};
  let kept = 0;
  let visited = 0;
  let level: { value: object; path: string }[] = [{ value: json, path: "" }];
  for (let depth = 0; depth <= limits.maxDepth && level.length > 0; depth++) {
    const next: { value: object; path: string }[] = [];
    const take = (path: string, v: unknown): boolean => {
      if (++visited > limits.maxVisited) return false;
      if (v !== null && typeof v === "object") {
        if (depth < limits.maxDepth) next.push({ value: v, path });
        return true;
      }
      const n = typeof v === "number" ? v : typeof v === "string" && v.length <= 48 && NUMERIC.test(v) ? Number(v) : undefined;
      if (n === undefined || !Number.isFinite(n) || path.length > MAX_CHECK_VALUE_PATH || !CHECK_VALUE_PATH.test(path)) return true;
      out[path] = n;
      return ++kept < limits.maxValues;
    };
    for (const { value, path } of level) {
      if (Array.isArray(value)) {
        // Items of a root array have no key to start a path with (nor do they reach here: the root is an object).
        const n = Math.min(value.length, limits.maxItems);
        for (let i = 0; i < n; i++) if (!take(`${path}[${i}]`, value[i])) return finish(out, kept);
        continue;
      }
      // The body's size (1 MiB at most) bounds the keys JSON.parse made; the walk stops after maxVisited.
      for (const k in value) {
        if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
        if (k.length > limits.maxKeyChars || !KEY.test(k) || RESERVED.has(k)) {
          if (++visited > limits.maxVisited) return finish(out, kept);
          continue;
        }
        if (!take(path === "" ? k : `${path}.${k}`, (value as Record<string, unknown>)[k])) return finish(out, kept);
      }
    }
    level = next;
  }
  return finish(out, kept);
}

function finish(out: Record<string, number>, kept: number): Record<string, number> | undefined {
  return kept > 0 ? out : undefined;
}
