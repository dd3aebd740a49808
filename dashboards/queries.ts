import { VariableType, type Dashboard, type Panel, type RowPanel } from "@grafana/grafana-foundation-sdk/dashboard";

/** One query of one panel: what is sent to Prometheus when the panel is drawn. */
export interface PanelQuery {
  panel: string;
  refId: string;
  expr: string;
  instant: boolean;
}

function panels(d: Dashboard): Panel[] {
  const out: Panel[] = [];
  for (const p of d.panels ?? []) {
    if (p.type === "row") out.push(...((p as RowPanel).panels ?? []));
    else out.push(p);
  }
  return out;
}

/** Every panel's queries, rows skipped (and the panels of collapsed rows included). */
export function panelQueries(d: Dashboard): PanelQuery[] {
  return panels(d).flatMap((p) =>
    (p.targets ?? []).map((t) => {
      const q = t as { expr?: unknown; refId?: string; instant?: boolean };
      return { panel: p.title ?? "", refId: q.refId ?? "", expr: typeof q.expr === "string" ? q.expr : "", instant: q.instant === true };
    }),
  );
}

/** The template variables that ask Prometheus: `label_values(selector, label)`. */
export function variableQueries(d: Dashboard): { name: string; selector: string; label: string }[] {
  return (d.templating.list ?? []).flatMap((v) => {
    if (v.type !== VariableType.Query || typeof v.query !== "string") return [];
    const m = /^label_values\((.+),\s*([a-zA-Z_]\w*)\)$/.exec(v.query);
    return m ? [{ name: v.name, selector: m[1]!, label: m[2]! }] : [];
  });
}

/**
 * Replaces `$name` and `${name}` with the given values, as Grafana does before sending a query.
 * Longest names first, so `$__rate_interval` is not read as `$__rate`.
 */
export function substitute(expr: string, values: Readonly<Record<string, string>>): string {
  const names = Object.keys(values).sort((a, b) => b.length - a.length);
  let out = expr;
  for (const n of names) out = out.split(`\${${n}}`).join(values[n]).split(`$${n}`).join(values[n]);
  return out;
}

const NOT_METRICS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan"]);

/**
 * The metric names a PromQL expression reads: identifiers that are not functions (followed by
 * `(`), keywords, label names (inside `{}` or a `by (…)` list) or durations.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, "{}")
    .replace(/\[[^\]]*\]/g, "[]")
    .replace(/\boffset\s+-?\w+/g, "")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "");
  const found = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.])[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const rest = stripped.slice(m.index + m[0].length);
    if (/^\s*\(/.test(rest) || NOT_METRICS.has(m[0].toLowerCase())) continue;
    found.add(m[0]);
  }
  return [...found];
}
