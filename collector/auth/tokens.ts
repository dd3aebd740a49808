import { createHash, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** `read` sees; `admin` also changes (silences, autoscaler, …). */
export type Scope = "read" | "admin";

/** One API token as configured. */
export interface TokenSpec {
  token: string;
  scope: Scope;
  /** Limits the token to these Swarm stacks (`service.namespace`); absent = every stack. */
  stacks?: string[];
  /** A name for logs; never the token itself. */
  name?: string;
  /** When the token stops being accepted: RFC 3339 (`2027-01-31T00:00:00Z`), or Unix ms. */
  expires?: string | number;
}

/** Who is asking, once the token is known. */
export interface Principal {
  name: string;
  scope: Scope;
  /** Stacks the principal may see; undefined = all. */
  stacks?: ReadonlySet<string>;
  /** Unix ms from which the token is refused; undefined = never. */
  expires?: number;
}

const TokenFileSchema = z.object({
  tokens: z.array(
    z
      .object({
        token: z.string().min(16, "tokens must be at least 16 characters"),
        scope: z.enum(["read", "admin"]),
        stacks: z.array(z.string().min(1)).min(1).optional(),
        name: z.string().min(1).max(128).optional(),
        expires: z.union([z.string().datetime({ offset: true }), z.date().transform((d) => d.toISOString())]).optional(),
      })
      .strict(),
  ),
}).strict();

/** Reads a token file (YAML or JSON: `tokens: [{token, scope, stacks?, name?}]`); errors name the entry and field. */
export function parseTokensFile(text: string, source = "token file"): TokenSpec[] {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new Error(`${source}: not YAML or JSON (${(err as Error).message})`, { cause: err });
  }
  const parsed = TokenFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${source}: ${issue?.path.join(".") || "(root)"}: ${issue?.message ?? "invalid"}`);
  }
  return parsed.data.tokens;
}

/** Tokens from the configuration: one admin token (`VIGIE_API_TOKEN`) and/or a token file. */
export function loadTokens(options: { token?: string; tokensFile?: string }): TokenSpec[] {
  const out: TokenSpec[] = [];
  if (options.token) out.push({ token: options.token, scope: "admin", name: "api.token" });
  if (options.tokensFile) out.push(...parseTokensFile(readFileSync(options.tokensFile, "utf8"), options.tokensFile));
  return out;
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/**
 * The known tokens. A presented token is compared with every known one in constant time
 * (over SHA-256 digests, so the lengths never leak either), without stopping at a match.
 */
export class TokenRegistry {
  private readonly entries: { digest: Buffer; principal: Principal }[];

  constructor(specs: readonly TokenSpec[]) {
    this.entries = specs.map((s, i) => ({
      digest: digest(s.token),
      principal: { name: s.name ?? `token#${i + 1}`, scope: s.scope, stacks: s.stacks ? new Set(s.stacks) : undefined, expires: expiry(s, i) },
    }));
  }

  /** False when no token is configured: the API is open. */
  get enabled(): boolean {
    return this.entries.length > 0;
  }

  authenticate(presented: string): Principal | undefined {
    const d = digest(presented);
    let found: Principal | undefined;
    for (const e of this.entries) {
      if (timingSafeEqual(d, e.digest) && !found) found = e.principal;
    }
    return found;
  }
}

function expiry(s: TokenSpec, i: number): number | undefined {
  if (s.expires === undefined) return undefined;
  const t = typeof s.expires === "number" ? s.expires : Date.parse(s.expires);
  if (!Number.isFinite(t)) throw new Error(`token ${s.name ?? `#${i + 1}`}: expires ${JSON.stringify(s.expires)} is not a date (RFC 3339, e.g. 2027-01-31T00:00:00Z)`);
  return t;
}

/** Who may act when authentication is off. */
export const ANONYMOUS_ADMIN: Principal = { name: "anonymous", scope: "admin" };

export { canSeeStack, visible } from "./visibility.js";
