import { parseDuration } from "../../lib/index.js";

/**
 * Conditions in the spirit of Gatus (`[STATUS] == 200`, `[BODY].a.b[0].c == x`,
 * `len([BODY].items) > 0`, `[CERTIFICATE_EXPIRATION] > 72h`), compiled once when a check is
 * loaded into a closure. What Gatus gets wrong and this does not: a malformed condition or an
 * operand that cannot be a number is an error at load time (with its column), and a value that
 * is not a number at run time fails the condition with that value, never counts as 0.
 */

/** A condition that cannot be compiled. `column` is 1-based, in `condition`. */
export class ConditionError extends Error {
  override readonly name = "ConditionError";
  constructor(
    readonly condition: string,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`column ${column}: ${reason} (in ${JSON.stringify(condition.length > 200 ? `${condition.slice(0, 200)}…` : condition)})`);
  }
}

/** What one probe run observed; the placeholders read from it. */
export interface ProbeObservation {
  /** HTTP status code; absent for TCP or when no response came. */
  status?: number;
  responseTimeMs: number;
  connected: boolean;
  /** Raw body text (bounded by the probe). */
  body?: string;
  /** The body parsed as JSON, when it parsed. */
  json?: unknown;
  /** Why the body is not JSON, when it is not. */
  jsonError?: string;
  /** Milliseconds until the server certificate's not-after (negative once expired). */
  certificateExpirationMs?: number;
  /** The address connected to. */
  ip?: string;
}

export interface ConditionOutcome {
  success: boolean;
  /** The condition with the values seen: `[STATUS] (503) == 200`. */
  pretty: string;
}

export interface CompiledCondition {
  readonly text: string;
  /** Whether it reads `[STATUS]` (then the status code is judged by conditions, not by 2xx/3xx). */
  readonly readsStatus: boolean;
  /** Whether it reads the body (then a body that is not JSON is a `body_parse` failure). */
  readonly readsBodyJson: boolean;
  evaluate(observation: ProbeObservation): ConditionOutcome;
}

type Op = "==" | "!=" | "<" | "<=" | ">" | ">=";
type PlaceholderName = "STATUS" | "RESPONSE_TIME" | "BODY" | "CONNECTED" | "CERTIFICATE_EXPIRATION" | "IP";
type PathStep = string | number;

type Operand =
  | { kind: "placeholder"; name: PlaceholderName; path: PathStep[]; text: string }
  | { kind: "len" | "has"; arg: Extract<Operand, { kind: "placeholder" }>; text: string }
  | { kind: "any"; values: Literal[]; text: string }
  | { kind: "pat"; pattern: string; text: string }
  | Literal;

type Literal = { kind: "literal"; type: "number" | "boolean" | "string"; value: number | boolean | string; text: string; column: number };

const PLACEHOLDERS: Record<PlaceholderName, "number" | "boolean" | "string" | "json"> = {
  STATUS: "number",
  RESPONSE_TIME: "number",
  CERTIFICATE_EXPIRATION: "number",
  CONNECTED: "boolean",
  BODY: "json",
  IP: "string",
};
const OPS: Op[] = ["==", "!=", "<=", ">=", "<", ">"];
const ORDERING = new Set<Op>(["<", "<=", ">", ">="]);
const MAX_LENGTH = 2048;
const NUMBER = /^-?\d+(\.\d+)?$/;

/** Compiles one condition; throws ConditionError naming the column of the fault. */
export function compileCondition(text: string): CompiledCondition {
  if (typeof text !== "string") throw new ConditionError(String(text), 1, "a condition must be a string");
  if (text.length > MAX_LENGTH) throw new ConditionError(text, MAX_LENGTH, `a condition may be at most ${MAX_LENGTH} characters`);
  const { op, at } = findOperator(text);
  const left = parseOperand(text, 0, at, "left");
  const right = parseOperand(text, at + op.length, text.length, "right");
  typeCheck(text, op, left, right, at);

  const readsStatus = [left, right].some((o) => o.kind === "placeholder" && o.name === "STATUS");
  const readsBodyJson = [left, right].some((o) => (o.kind === "placeholder" && o.name === "BODY" && o.path.length > 0) || o.kind === "len" || o.kind === "has");
  return {
    text,
    readsStatus,
    readsBodyJson,
    evaluate: (obs) => evaluate(op, left, right, obs),
  };
}

/** Compiles a list, collecting every error (index, column, reason) instead of stopping at the first. */
export function compileConditions(texts: readonly string[]): { conditions: CompiledCondition[]; errors: { index: number; error: ConditionError }[] } {
  const conditions: CompiledCondition[] = [];
  const errors: { index: number; error: ConditionError }[] = [];
  texts.forEach((t, index) => {
    try {
      conditions.push(compileCondition(t));
    } catch (err) {
      if (err instanceof ConditionError) errors.push({ index, error: err });
      else throw err;
    }
  });
  return { conditions, errors };
}

// ---------------------------------------------------------------------------------------------
// Parsing

/** The one comparison operator outside brackets, parentheses and quotes. */
function findOperator(text: string): { op: Op; at: number } {
  let found: { op: Op; at: number } | undefined;
  let depthSquare = 0;
  let depthParen = 0;
  let openSquare = -1;
  let openParen = -1;
  let quote = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote) {
      if (c === "\\") i++;
      else if (c === '"') quote = false;
      continue;
    }
    if (c === '"') quote = true;
    else if (c === "[") {
      if (depthSquare++ === 0) openSquare = i;
    } else if (c === "]") depthSquare = Math.max(0, depthSquare - 1);
    else if (c === "(") {
      if (depthParen++ === 0) openParen = i;
    } else if (c === ")") depthParen = Math.max(0, depthParen - 1);
    else if (depthSquare === 0 && depthParen === 0 && (c === "=" || c === "!" || c === "<" || c === ">")) {
      const op = OPS.find((o) => text.startsWith(o, i));
      if (!op) throw new ConditionError(text, i + 1, `unknown operator starting with ${JSON.stringify(c)} (use ==, !=, <, <=, > or >=)`);
      if (found) throw new ConditionError(text, i + 1, `a second operator ${op}; quote a value that contains one`);
      found = { op, at: i };
      i += op.length - 1;
    }
  }
  if (quote) throw new ConditionError(text, text.lastIndexOf('"') + 1, "unterminated quoted string");
  if (depthSquare > 0) throw new ConditionError(text, openSquare + 1, "unterminated placeholder or index (missing ])");
  if (depthParen > 0) throw new ConditionError(text, openParen + 1, "unterminated function call (missing ))");
  if (!found) throw new ConditionError(text, Math.max(1, text.length), "no comparison operator (==, !=, <, <=, > or >=)");
  return found;
}

function parseOperand(text: string, from: number, to: number, side: "left" | "right"): Operand {
  let start = from;
  let end = to;
  while (start < end && /\s/.test(text[start] as string)) start++;
  while (end > start && /\s/.test(text[end - 1] as string)) end--;
  if (start === end) throw new ConditionError(text, from + 1, `missing ${side} operand`);
  const s = text.slice(start, end);
  if (s.startsWith("[")) {
    const { placeholder, next } = parsePlaceholder(text, start, end);
    if (next !== end) throw new ConditionError(text, next + 1, `unexpected ${JSON.stringify(text[next])} after ${placeholder.text}`);
    return placeholder;
  }
  const fn = /^([A-Za-z_]+)\s*\(/.exec(s);
  if (fn) return parseFunction(text, start, end, (fn[1] as string).toLowerCase(), start + fn[0].length);
  if (s.startsWith('"')) {
    const { value, next } = parseQuoted(text, start, end);
    if (next !== end) throw new ConditionError(text, next + 1, "unexpected text after a quoted string");
    return { kind: "literal", type: "string", value, text: s, column: start + 1 };
  }
  if (/[[\]()"]/.test(s)) {
    const bad = s.search(/[[\]()"]/);
    throw new ConditionError(text, start + bad + 1, `unexpected ${JSON.stringify(s[bad])} in a value (quote values that contain it)`);
  }
  return literal(s, start);
}

function literal(s: string, at: number): Literal {
  if (NUMBER.test(s)) return { kind: "literal", type: "number", value: Number(s), text: s, column: at + 1 };
  if (s === "true" || s === "false") return { kind: "literal", type: "boolean", value: s === "true", text: s, column: at + 1 };
  if (/^\d/.test(s)) {
    const ms = parseDuration(s);
    if (ms !== undefined) return { kind: "literal", type: "number", value: ms, text: s, column: at + 1 };
  }
  return { kind: "literal", type: "string", value: s, text: s, column: at + 1 };
}

function parsePlaceholder(text: string, start: number, end: number): { placeholder: Extract<Operand, { kind: "placeholder" }>; next: number } {
  const close = text.indexOf("]", start);
  if (close < 0 || close >= end) throw new ConditionError(text, start + 1, "unterminated placeholder (missing ])");
  const name = text.slice(start + 1, close);
  if (!(name in PLACEHOLDERS)) {
    throw new ConditionError(text, start + 2, `unknown placeholder [${name}] (known: ${Object.keys(PLACEHOLDERS).map((p) => `[${p}]`).join(", ")})`);
  }
  const path: PathStep[] = [];
  let i = close + 1;
  while (i < end) {
    const c = text[i];
    if (c === ".") {
      const m = /^[^.[\]\s()=!<>,"]+/.exec(text.slice(i + 1, end));
      if (!m) throw new ConditionError(text, i + 2, "expected a key after '.'");
      path.push(m[0]);
      i += 1 + m[0].length;
    } else if (c === "[") {
      const m = /^\[(\d{1,9})\]/.exec(text.slice(i, end));
      if (!m) throw new ConditionError(text, i + 1, "expected an array index such as [0]");
      path.push(Number(m[1]));
      i += m[0].length;
    } else break;
  }
  if (path.length > 0 && name !== "BODY") throw new ConditionError(text, close + 2, `[${name}] has no fields; only [BODY] takes a path`);
  if (path.length > 64) throw new ConditionError(text, close + 2, "path too deep (at most 64 steps)");
  return { placeholder: { kind: "placeholder", name: name as PlaceholderName, path, text: text.slice(start, i) }, next: i };
}

function parseQuoted(text: string, start: number, end: number): { value: string; next: number } {
  let out = "";
  for (let i = start + 1; i < end; i++) {
    const c = text[i] as string;
    if (c === "\\" && i + 1 < end) out += text[++i];
    else if (c === '"') return { value: out, next: i + 1 };
    else out += c;
  }
  throw new ConditionError(text, start + 1, "unterminated quoted string");
}

function parseFunction(text: string, start: number, end: number, name: string, argsStart: number): Operand {
  if (text[end - 1] !== ")") throw new ConditionError(text, end, `${name}(…) must end with ')'`);
  const argsEnd = end - 1;
  const whole = text.slice(start, end);
  let a = argsStart;
  let b = argsEnd;
  while (a < b && /\s/.test(text[a] as string)) a++;
  while (b > a && /\s/.test(text[b - 1] as string)) b--;
  switch (name) {
    case "len":
    case "has": {
      if (text[a] !== "[") throw new ConditionError(text, a + 1, `${name}() takes a placeholder such as [BODY].items`);
      const { placeholder, next } = parsePlaceholder(text, a, b);
      if (next !== b) throw new ConditionError(text, next + 1, `${name}() takes exactly one placeholder`);
      if (placeholder.name !== "BODY") throw new ConditionError(text, a + 1, `${name}() applies to [BODY] only`);
      return { kind: name, arg: placeholder, text: whole };
    }
    case "any": {
      if (a === b) throw new ConditionError(text, a + 1, "any() needs at least one value");
      const values: Literal[] = [];
      let i = a;
      while (i <= b) {
        while (i < b && /\s/.test(text[i] as string)) i++;
        if (text[i] === '"') {
          const q = parseQuoted(text, i, b);
          values.push({ kind: "literal", type: "string", value: q.value, text: text.slice(i, q.next), column: i + 1 });
          i = q.next;
          while (i < b && /\s/.test(text[i] as string)) i++;
          if (i < b && text[i] !== ",") throw new ConditionError(text, i + 1, "expected ',' between any() values");
        } else {
          let j = i;
          while (j < b && text[j] !== ",") j++;
          const v = text.slice(i, j).trim();
          if (!v) throw new ConditionError(text, i + 1, "empty value in any()");
          if (/[[\]()"]/.test(v)) throw new ConditionError(text, i + 1, "any() takes plain values; quote values with brackets or quotes");
          values.push(literal(v, i + text.slice(i, j).indexOf(v)));
          i = j;
        }
        i++;
      }
      return { kind: "any", values, text: whole };
    }
    case "pat": {
      const raw = text.slice(a, b);
      const pattern = raw.startsWith('"') ? parseQuotedExact(text, a, b) : raw;
      return { kind: "pat", pattern, text: whole };
    }
    default:
      throw new ConditionError(text, start + 1, `unknown function ${name}() (known: len, has, any, pat)`);
  }
}

function parseQuotedExact(text: string, a: number, b: number): string {
  const q = parseQuoted(text, a, b);
  if (q.next !== b) throw new ConditionError(text, q.next + 1, "unexpected text after a quoted string");
  return q.value;
}

// ---------------------------------------------------------------------------------------------
// Types, at load time

type StaticType = "number" | "boolean" | "string" | "json" | "set" | "pattern";

function staticType(o: Operand): StaticType {
  switch (o.kind) {
    case "placeholder":
      return PLACEHOLDERS[o.name];
    case "len":
      return "number";
    case "has":
      return "boolean";
    case "any":
      return "set";
    case "pat":
      return "pattern";
    case "literal":
      return o.type;
  }
}

function column(o: Operand, fallback: number): number {
  return o.kind === "literal" ? o.column : fallback + 1;
}

function typeCheck(text: string, op: Op, left: Operand, right: Operand, opAt: number): void {
  const lt = staticType(left);
  const rt = staticType(right);
  const leftCol = text.length - text.trimStart().length;
  const rightCol = opAt + op.length + (text.slice(opAt + op.length).length - text.slice(opAt + op.length).trimStart().length);
  for (const [o, t, col] of [
    [left, lt, leftCol],
    [right, rt, rightCol],
  ] as const) {
    if ((t === "set" || t === "pattern") && ORDERING.has(op)) throw new ConditionError(text, col + 1, `${o.kind}() works only with == and !=`);
  }
  if ((lt === "set" || lt === "pattern") && (rt === "set" || rt === "pattern")) throw new ConditionError(text, rightCol + 1, "compare a value with any()/pat(), not two of them");

  if (ORDERING.has(op)) {
    for (const [o, t, col] of [
      [left, lt, leftCol],
      [right, rt, rightCol],
    ] as const) {
      if (t === "boolean") throw new ConditionError(text, column(o, col), `${o.text} is a boolean; ${op} needs numbers`);
      if (t === "string") throw new ConditionError(text, column(o, col), `${o.text} is not a number; ${op} needs numbers`);
    }
    return;
  }
  // Equality: a literal compared with a number or boolean placeholder must be of that type.
  for (const [p, pt, other] of [
    [left, lt, right],
    [right, rt, left],
  ] as const) {
    if (p.kind !== "placeholder" && p.kind !== "len" && p.kind !== "has") continue;
    if (pt !== "number" && pt !== "boolean") continue;
    const literals = other.kind === "literal" ? [other] : other.kind === "any" ? other.values : [];
    for (const l of literals) {
      if (l.type !== pt) throw new ConditionError(text, l.column, `${l.text} is not a ${pt}, but ${p.text} is`);
    }
    if (other.kind === "pat" && pt === "boolean") throw new ConditionError(text, rightCol + 1, `pat() cannot match ${p.text}, a boolean`);
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation, at run time

type Resolved = { ok: true; value: unknown; display: string } | { ok: false; display: string };

function resolve(o: Operand, obs: ProbeObservation): Resolved {
  switch (o.kind) {
    case "literal":
      return { ok: true, value: o.value, display: o.text };
    case "any":
    case "pat":
      return { ok: true, value: undefined, display: o.text };
    case "has": {
      const r = walk(o.arg, obs);
      return { ok: true, value: r.ok && r.value !== undefined, display: `${o.text} (${r.ok && r.value !== undefined})` };
    }
    case "len": {
      const r = walk(o.arg, obs);
      if (!r.ok) return { ok: false, display: `${o.text} (${r.reason})` };
      const v = r.value;
      const n = Array.isArray(v) ? v.length : typeof v === "string" ? v.length : v !== null && typeof v === "object" ? Object.keys(v).length : undefined;
      if (n === undefined) return { ok: false, display: `${o.text} (${short(v)} has no length)` };
      return { ok: true, value: n, display: `${o.text} (${n})` };
    }
    case "placeholder": {
      const r = walk(o, obs);
      if (!r.ok) return { ok: false, display: `${o.text} (${r.reason})` };
      return { ok: true, value: r.value, display: `${o.text} (${short(r.value)})` };
    }
  }
}

function walk(p: Extract<Operand, { kind: "placeholder" }>, obs: ProbeObservation): { ok: true; value: unknown } | { ok: false; reason: string } {
  switch (p.name) {
    case "STATUS":
      return obs.status === undefined ? { ok: false, reason: "no HTTP status" } : { ok: true, value: obs.status };
    case "RESPONSE_TIME":
      return { ok: true, value: Math.round(obs.responseTimeMs) };
    case "CONNECTED":
      return { ok: true, value: obs.connected };
    case "CERTIFICATE_EXPIRATION":
      return obs.certificateExpirationMs === undefined ? { ok: false, reason: "no certificate" } : { ok: true, value: obs.certificateExpirationMs };
    case "IP":
      return obs.ip === undefined ? { ok: false, reason: "not connected" } : { ok: true, value: obs.ip };
    case "BODY": {
      if (p.path.length === 0) return obs.body === undefined ? { ok: false, reason: "no body" } : { ok: true, value: obs.json !== undefined ? obs.json : obs.body.trim() };
      if (obs.json === undefined) return { ok: false, reason: obs.jsonError ? "body is not JSON" : "no body" };
      let v: unknown = obs.json;
      for (const step of p.path) {
        if (typeof step === "number" ? !Array.isArray(v) : v === null || typeof v !== "object" || Array.isArray(v)) return { ok: false, reason: "no such path" };
        v = typeof step === "number" ? (v as unknown[])[step] : Object.hasOwn(v as object, step) ? (v as Record<string, unknown>)[step] : undefined;
        if (v === undefined) return { ok: false, reason: "no such path" };
      }
      return { ok: true, value: v };
    }
  }
}

function evaluate(op: Op, left: Operand, right: Operand, obs: ProbeObservation): ConditionOutcome {
  const l = resolve(left, obs);
  const r = resolve(right, obs);
  const pretty = `${l.display} ${op} ${r.display}`;
  if (!l.ok || !r.ok) return { success: false, pretty };
  if (ORDERING.has(op)) {
    const a = toNumber(l.value);
    const b = toNumber(r.value);
    if (a === undefined) return { success: false, pretty: `${pretty}: ${short(l.value)} is not a number` };
    if (b === undefined) return { success: false, pretty: `${pretty}: ${short(r.value)} is not a number` };
    const ok = op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b;
    return { success: ok, pretty };
  }
  const eq = matches(left, l.value, right, r.value);
  return { success: op === "==" ? eq : !eq, pretty };
}

function matches(left: Operand, lv: unknown, right: Operand, rv: unknown): boolean {
  if (right.kind === "any") return right.values.some((v) => equal(lv, v.value, v.text));
  if (left.kind === "any") return left.values.some((v) => equal(rv, v.value, v.text));
  if (right.kind === "pat") return glob(right.pattern, asText(lv));
  if (left.kind === "pat") return glob(left.pattern, asText(rv));
  if (right.kind === "literal") return equal(lv, rv, right.type === "string" ? undefined : right.text);
  if (left.kind === "literal") return equal(rv, lv, left.type === "string" ? undefined : left.text);
  return equal(lv, rv);
}

/**
 * Numbers compare as numbers; anything else as text. `literalText` is how a number or
 * duration literal was written (`1d`), used when the other side is text (`version == 1d`).
 */
function equal(a: unknown, b: unknown, literalText?: string): boolean {
  const x = toNumber(a);
  const y = toNumber(b);
  if (x !== undefined && y !== undefined) return x === y;
  return asText(a) === (literalText ?? asText(b));
}

function toNumber(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && NUMBER.test(v.trim())) return Number(v.trim());
  return undefined;
}

function asText(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (v === null) return "null";
  return JSON.stringify(v) ?? "";
}

function short(v: unknown): string {
  const s = asText(v);
  return s.length > 100 ? `${s.slice(0, 100)}…` : s;
}

/** `*` matches any run of characters; linear-time two-pointer match (no regex backtracking). */
export function glob(pattern: string, s: string): boolean {
  let p = 0;
  let i = 0;
  let star = -1;
  let mark = 0;
  while (i < s.length) {
    if (p < pattern.length && pattern[p] !== "*" && pattern[p] === s[i]) {
      p++;
      i++;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      mark = i;
    } else if (star >= 0) {
      p = star + 1;
      i = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}
