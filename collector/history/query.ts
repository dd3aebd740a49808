import { RE2JS } from "re2js";
import type { Labels } from "./series.js";

/** How samples are combined: over time within a step, then across the series of a group. */
export type Aggregation = "avg" | "min" | "max" | "sum" | "last";
export const AGGREGATIONS: readonly Aggregation[] = ["avg", "min", "max", "sum", "last"];

export interface Matcher {
  label: string;
  op: "=" | "!=" | "=~" | "!~";
  value: string;
  /** For `=~` and `!~`: matches a whole label value, in time linear in its length. */
  re?: { test(value: string): boolean };
}

/**
 * `label=value`, `label!=value`, `label=~regex`, `label!~regex`; a string says what is wrong.
 * Regexes have RE2 syntax and semantics, as in Prometheus, and are anchored as Prometheus anchors
 * them (`^(?:re)$`). They run on an RE2 engine (re2js), never on V8's backtracking one: a matcher
 * comes from any read token, and `(a+)+b` over a long label value would hold the event loop for
 * minutes.
 */
export function parseMatcher(text: string): Matcher | string {
  const m = /^([A-Za-z_][A-Za-z0-9_.]*)(=~|!~|!=|=)(.*)$/.exec(text);
  if (!m) return `${JSON.stringify(text)} is not label=value, label!=value, label=~regex or label!~regex`;
  const op = m[2] as Matcher["op"];
  let value = m[3] as string;
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  if (op === "=~" || op === "!~") {
    try {
      return { label: m[1] as string, op, value, re: RE2JS.compile(`^(?:${value})$`) };
    } catch (err) {
      return `${JSON.stringify(value)} is not a regular expression (${(err as Error).message})`;
    }
  }
  return { label: m[1] as string, op, value };
}

export function matchesAll(labels: Labels, matchers: readonly Matcher[]): boolean {
  for (const m of matchers) {
    const v = labels[m.label] ?? "";
    switch (m.op) {
      case "=": if (v !== m.value) return false; break;
      case "!=": if (v === m.value) return false; break;
      case "=~": if (!m.re?.test(v)) return false; break;
      case "!~": if (m.re?.test(v)) return false; break;
    }
  }
  return true;
}

/** A series as the evaluator sees it: labels, and its samples in a time range (oldest first). */
export interface SeriesSource {
  labels: Labels;
  forEach(from: number, to: number, fn: (time: number, value: number) => void): void;
}

interface Cell {
  n: number;
  sum: number;
  min: number;
  max: number;
  last: number;
  lastTime: number;
}

function reduceCell(c: Cell, agg: Aggregation): number {
  switch (agg) {
    case "min": return c.min;
    case "max": return c.max;
    case "last": return c.last;
    default: return c.sum / c.n; // avg, and sum: summing a gauge over time means nothing
  }
}

function add(c: Cell | undefined, t: number, v: number): Cell {
  if (!c) return { n: 1, sum: v, min: v, max: v, last: v, lastTime: t };
  c.n++;
  c.sum += v;
  if (v < c.min) c.min = v;
  if (v > c.max) c.max = v;
  if (t >= c.lastTime) {
    c.last = v;
    c.lastTime = t;
  }
  return c;
}

export interface RangeParams {
  from: number;
  to: number;
  step: number;
  /** Without it every series is returned on its own (reduced over time by avg). */
  agg?: Aggregation;
  /** Labels to group by when aggregating; none = one group. */
  by?: readonly string[];
}

export interface RangeResult {
  labels: Labels;
  /** [Unix seconds, value] */
  points: [number, number][];
}

/**
 * Range query: step i covers (from + (i-1)·step, from + i·step]; each series is reduced over
 * time within a step, then the series of each group are combined by `agg`.
 */
export function evaluateRange(series: Iterable<SeriesSource>, p: RangeParams): RangeResult[] {
  const steps = Math.floor((p.to - p.from) / p.step) + 1;
  const timeAgg: Aggregation = p.agg ?? "avg";
  const groups = new Map<string, { labels: Labels; cells: (Cell | undefined)[] }>();
  for (const s of series) {
    const cells: (Cell | undefined)[] = new Array<Cell | undefined>(steps);
    s.forEach(p.from - p.step + 1, p.to, (t, v) => {
      const i = Math.max(0, Math.ceil((t - p.from) / p.step));
      if (i < steps) cells[i] = add(cells[i], t, v);
    });
    const { key, labels } = groupOf(s.labels, p);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels, cells: new Array<Cell | undefined>(steps) }));
    for (let i = 0; i < steps; i++) {
      const c = cells[i];
      if (!c) continue;
      const v = reduceCell(c, timeAgg);
      g.cells[i] = combine(g.cells[i], c.lastTime, v, p.agg);
    }
  }
  const out: RangeResult[] = [];
  for (const g of groups.values()) {
    const points: [number, number][] = [];
    for (let i = 0; i < steps; i++) {
      const c = g.cells[i];
      if (c) points.push([(p.from + i * p.step) / 1000, finalValue(c, p.agg)]);
    }
    if (points.length > 0) out.push({ labels: g.labels, points });
  }
  return out.sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
}

export interface InstantParams {
  time: number;
  /** How far back the latest sample may be. */
  lookback: number;
  agg?: Aggregation;
  by?: readonly string[];
}

export interface InstantResult {
  labels: Labels;
  /** Unix seconds of the newest sample used. */
  time: number;
  value: number;
}

/** Instant query: each series' latest sample within the lookback, combined per group by `agg`. */
export function evaluateInstant(series: Iterable<SeriesSource>, p: InstantParams): InstantResult[] {
  const groups = new Map<string, { labels: Labels; cell?: Cell }>();
  for (const s of series) {
    let latest: { t: number; v: number } | undefined;
    s.forEach(p.time - p.lookback + 1, p.time, (t, v) => {
      latest = { t, v };
    });
    if (!latest) continue;
    const { key, labels } = groupOf(s.labels, p);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { labels }));
    g.cell = combine(g.cell, latest.t, latest.v, p.agg);
  }
  const out: InstantResult[] = [];
  for (const g of groups.values()) if (g.cell) out.push({ labels: g.labels, time: g.cell.lastTime / 1000, value: finalValue(g.cell, p.agg) });
  return out.sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
}

function groupOf(labels: Labels, p: { agg?: Aggregation; by?: readonly string[] }): { key: string; labels: Labels } {
  if (!p.agg) return { key: JSON.stringify(labels), labels };
  const g: Labels = {};
  for (const b of p.by ?? []) if (labels[b] !== undefined) g[b] = labels[b];
  return { key: JSON.stringify(g), labels: g };
}

function combine(c: Cell | undefined, t: number, v: number, agg: Aggregation | undefined): Cell {
  // Without an aggregation each group is one series: nothing to combine.
  if (!c || agg === undefined) return add(undefined, t, v);
  return add(c, t, v);
}

function finalValue(c: Cell, agg: Aggregation | undefined): number {
  switch (agg) {
    case "sum": return c.sum;
    case "min": return c.min;
    case "max": return c.max;
    case "last": return c.last;
    default: return c.sum / c.n;
  }
}
