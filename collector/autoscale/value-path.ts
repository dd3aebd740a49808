/**
 * The number at a path (`queue.depth`, `details.workers[0].load`) in a status check's JSON body,
 * for `vigie.autoscale.metric=check:<path>`. Undefined when the path leads nowhere or to
 * something that is not a finite number (a numeric string counts: health+json often quotes
 * them). The path was validated when the policy was parsed; the walk is bounded by its length.
 */
export function valueAtPath(body: unknown, path: string): number | undefined {
  const steps = path.match(/[^.[\]]+|\[\d+\]/g);
  if (!steps || steps.length > 64) return undefined;
  let v: unknown = body;
  for (const step of steps) {
    if (v === null || typeof v !== "object") return undefined;
    if (step.startsWith("[")) {
      if (!Array.isArray(v)) return undefined;
      v = v[Number(step.slice(1, -1))];
    } else {
      if (!Object.prototype.hasOwnProperty.call(v, step)) return undefined;
      v = (v as Record<string, unknown>)[step];
    }
  }
  const n = typeof v === "number" ? v : typeof v === "string" && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(v.trim()) ? Number(v) : undefined;
  return n !== undefined && Number.isFinite(n) ? n : undefined;
}
