import type { Labels } from "./matchers.js";

/**
 * Annotation templates, a small subset of Prometheus' so the exported rules read the same:
 * `{{ $labels.name }}`, `{{ $value }}`, `{{ humanize $value }}`, `{{ humanizeDuration $value }}`,
 * `{{ humanizePercentage $value }}` (value as a ratio), `{{ printf "%.1f" $value }}`.
 * Compiled once at load: an unknown expression is a load error, never text left in a page.
 */
export type Template = (labels: Labels, value: number) => string;

type Part = string | ((labels: Labels, value: number) => string);

const LABEL = /^\$labels\.([A-Za-z_][A-Za-z0-9_]*)$/;
const PRINTF = /^printf\s+"%\.(\d)f"\s+\$value$/;

export function compileTemplate(text: string): Template | string {
  const parts: Part[] = [];
  let rest = text;
  while (rest.length > 0) {
    const open = rest.indexOf("{{");
    if (open < 0) {
      parts.push(rest);
      break;
    }
    if (open > 0) parts.push(rest.slice(0, open));
    const close = rest.indexOf("}}", open);
    if (close < 0) return `unclosed {{ at ${JSON.stringify(rest.slice(open, open + 30))}`;
    const expr = rest.slice(open + 2, close).trim();
    const part = compileExpr(expr);
    if (typeof part === "string") return part;
    parts.push(part);
    rest = rest.slice(close + 2);
  }
  return (labels, value) => parts.map((p) => (typeof p === "string" ? p : p(labels, value))).join("");
}

function compileExpr(expr: string): Part | string {
  const label = LABEL.exec(expr);
  if (label) {
    const name = label[1] as string;
    return (labels) => labels[name] ?? "";
  }
  if (expr === "$value") return (_l, v) => formatValue(v);
  if (expr === "humanize $value") return (_l, v) => humanize(v);
  if (expr === "humanizeDuration $value") return (_l, v) => humanizeDuration(v);
  if (expr === "humanizePercentage $value") return (_l, v) => `${humanize(v * 100)}%`;
  const printf = PRINTF.exec(expr);
  if (printf) {
    const digits = Number(printf[1]);
    return (_l, v) => v.toFixed(digits);
  }
  return `unknown template expression {{ ${expr} }} (known: $labels.NAME, $value, humanize $value, humanizeDuration $value, humanizePercentage $value, printf "%.Nf" $value)`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  return String(v);
}

/** Prometheus' humanize: SI prefixes, four significant digits. */
export function humanize(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs === 0) return "0";
  const big = ["", "k", "M", "G", "T", "P", "E"];
  const small = ["", "m", "u", "n", "p", "f", "a"];
  let i = 0;
  let x = v;
  if (abs >= 1) {
    while (Math.abs(x) >= 1000 && i < big.length - 1) {
      x /= 1000;
      i++;
    }
    return `${Number(x.toPrecision(4))}${big[i]}`;
  }
  while (Math.abs(x) < 1 && i < small.length - 1) {
    x *= 1000;
    i++;
  }
  return `${Number(x.toPrecision(4))}${small[i]}`;
}

/** Prometheus' humanizeDuration for a number of seconds: `1d 2h 3m 4s`. */
export function humanizeDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const sign = seconds < 0 ? "-" : "";
  let s = Math.abs(seconds);
  if (s < 1) return `${sign}${Number(s.toPrecision(4))}s`;
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s = Math.floor(s - m * 60);
  const parts = [d ? `${d}d` : "", h ? `${h}h` : "", m ? `${m}m` : "", `${s}s`].filter(Boolean);
  return sign + parts.join(" ");
}
