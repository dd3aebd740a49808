import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { z, type ZodTypeAny } from "zod";
import { ConfigSchema, type Config } from "./schema.js";
import { isSecretKey, redactSecrets, REDACTED } from "../../lib/secrets.js";

/** Start-up stops with this; its message names every key and value at fault. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
}

/** Environment variables that are not configuration keys (read by scripts and deploy/stack.yml). */
const NOT_CONFIG = new Set(["VIGIE_BOOTSTRAP_VERBOSE", "VIGIE_TEST_LOG", "VIGIE_CONFIG", "VIGIE_DOCKER_DATA", "VIGIE_IMAGE", "VIGIE_IMAGE_CONTEXT"]);

/** `agent.hostRoot` → `VIGIE_AGENT_HOST_ROOT`. */
export function envName(path: string[]): string {
  return `VIGIE_${path.map((p) => p.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()).join("_")}`;
}

/** Every leaf key of the schema, with its environment variable name. */
export function configKeys(schema: ZodTypeAny = ConfigSchema, prefix: string[] = []): { path: string[]; env: string }[] {
  const obj = unwrapObject(schema);
  if (!obj) return [{ path: prefix, env: envName(prefix) }];
  const out: { path: string[]; env: string }[] = [];
  for (const [k, v] of Object.entries(obj.shape as Record<string, ZodTypeAny>)) out.push(...configKeys(v, [...prefix, k]));
  return out;
}

function unwrapObject(schema: ZodTypeAny): z.AnyZodObject | undefined {
  let s: ZodTypeAny = schema;
  for (;;) {
    if (s instanceof z.ZodObject) return s;
    if (s instanceof z.ZodDefault) s = s._def.innerType as ZodTypeAny;
    else if (s instanceof z.ZodOptional) s = s._def.innerType as ZodTypeAny;
    else return undefined;
  }
}

/**
 * Reads the YAML file (if any), overlays `VIGIE_*` variables, validates once. Throws a
 * ConfigError naming the source (file or variable), the key and the offending value.
 */
export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv; overrides?: Record<string, unknown> } = {}): Config {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  let fromFile: Record<string, unknown> = {};
  if (options.file) {
    let text: string;
    try {
      text = readFileSync(options.file, "utf8");
    } catch (err) {
      throw new ConfigError([`cannot read config file ${options.file}: ${(err as Error).message}`]);
    }
    try {
      // Loaded only for a file: an agent configured by environment alone spares its ~2 MB of RSS.
      const { parse: parseYaml } = createRequire(import.meta.url)("yaml") as typeof import("yaml");
      const doc: unknown = parseYaml(text) ?? {};
      if (typeof doc !== "object" || Array.isArray(doc)) throw new Error("the document must be a mapping of keys");
      fromFile = doc as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError([`${options.file}: not valid YAML: ${(err as Error).message}`]);
    }
  }

  const merged = structuredClone(fromFile);
  const sources = new Map<string, string>();
  const keys = new Map(configKeys().map((k) => [k.env, k.path]));
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("VIGIE_") || value === undefined || NOT_CONFIG.has(name)) continue;
    const path = keys.get(name);
    if (!path) {
      problems.push(`${name}: unknown setting (known: ${[...keys.keys()].join(", ")})`);
      continue;
    }
    setPath(merged, path, value);
    sources.set(path.join("."), name);
  }
  for (const [k, v] of Object.entries(options.overrides ?? {})) {
    if (v === undefined) continue;
    setPath(merged, k.split("."), v);
    sources.set(k, "command line");
  }
  const parsed = ConfigSchema.safeParse(merged);
  if (parsed.success && problems.length === 0) return parsed.data;
  if (parsed.success) throw new ConfigError(problems);
  for (const issue of parsed.error.issues) {
    const key = issue.path.join(".");
    const from = sources.get(key) ?? (options.file ? options.file : "defaults");
    if (issue.code === z.ZodIssueCode.unrecognized_keys) {
      for (const k of issue.keys) problems.push(`${from}: ${key ? `${key}.` : ""}${k}: unknown key`);
      continue;
    }
    const last = issue.path[issue.path.length - 1];
    // The value at fault is shown, except a secret's (a too-short token must not be echoed).
    const value = typeof last === "string" && isSecretKey(last) ? REDACTED : redactSecrets(getPath(merged, issue.path));
    problems.push(`${from}: ${key} = ${JSON.stringify(value)}: ${issue.message}`);
  }
  throw new ConfigError(problems);
}

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let o = obj;
  for (const p of path.slice(0, -1)) {
    if (typeof o[p] !== "object" || o[p] === null) o[p] = {};
    o = o[p] as Record<string, unknown>;
  }
  o[path[path.length - 1] as string] = value;
}

function getPath(obj: unknown, path: (string | number)[]): unknown {
  let o = obj;
  for (const p of path) o = typeof o === "object" && o !== null ? (o as Record<string | number, unknown>)[p] : undefined;
  return o;
}
