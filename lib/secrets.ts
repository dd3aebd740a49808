import { readFileSync } from "node:fs";

/**
 * Secrets never reach a terminal or a log line: configuration printed by `vigie config check`,
 * configuration errors, and log fields pass through `redactSecrets`. A value is secret when its
 * key says so (token, password, secret, credentials, webhook URLs) or when it is a URL carrying a
 * password or a key in its query.
 */
const SECRET_KEY = /(token|password|passwd|secret|credential|apikey|api_key|privatekey|private_key|webhook|slack)/i;
/** Keys that name where a secret is kept, not the secret itself. */
const REFERENCE_KEY = /(file|path|dir)$/i;
const SECRET_QUERY = /^(key|token|secret|password|passwd|sig|signature|access_token|api_key|apikey|auth)$/i;

export const REDACTED = "<redacted>";

/** Whether a configuration or log key holds a secret value. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !REFERENCE_KEY.test(key);
}

/** A URL with its password and secret-looking query values replaced; other text unchanged. */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (!url.protocol || !url.host) return text;
  let changed = false;
  if (url.password) {
    url.password = "redacted";
    changed = true;
  }
  for (const k of [...url.searchParams.keys()]) {
    if (SECRET_QUERY.test(k)) {
      url.searchParams.set(k, "redacted");
      changed = true;
    }
  }
  return changed ? url.toString() : text;
}

/** A webhook-style URL whose path is the secret (Slack's `/services/T…/B…/…`): keep scheme and host. */
function redactWholeUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}/${REDACTED}`;
  } catch {
    return REDACTED;
  }
}

/**
 * A deep copy of `value` with every secret replaced by `<redacted>`. Strings under a secret key
 * are replaced whole (a URL keeps its scheme and host, so an operator still sees where it points);
 * other strings that are URLs lose their password and secret query values.
 */
export function redactSecrets<T>(value: T, key = "", parent = ""): T {
  if (typeof value === "string") {
    // A webhook receiver's `url` is its secret (`slack: { url }`, `webhook: { url }`).
    const secret = (key && isSecretKey(key)) || (/url$/i.test(key) && /(webhook|slack)/i.test(parent));
    if (secret) return (/^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? redactWholeUrl(value) : REDACTED) as T;
    return redactUrl(value) as T;
  }
  if (Array.isArray(value)) return (value as unknown[]).map((v) => redactSecrets(v, key, parent)) as T;
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) out[k] = redactSecrets(v, k, key || parent);
    return out as T;
  }
  return value;
}

/** A password file is a few bytes; anything longer is not one (a wrong path, a directory's dump). */
const MAX_SECRET_FILE_BYTES = 4096;

/**
 * Credentials for NATS from configuration: the user, and the password given in clear or read
 * from a file (a Swarm secret). Undefined without a user (no credentials, as `vigie up` on
 * loopback). Throws, naming the keys and the file, when they do not fit together or the file
 * cannot be read; the password itself is never in a message.
 */
export function natsCredentials(
  nats: { user?: string; password?: string; passwordFile?: string },
  readFile: (path: string) => Buffer = (p) => readFileSync(p),
): { user: string; pass?: string } | undefined {
  if (nats.password !== undefined && nats.passwordFile !== undefined) throw new Error("nats.password and nats.passwordFile are both set: give one");
  if (nats.user === undefined) {
    if (nats.password !== undefined || nats.passwordFile !== undefined) throw new Error("a NATS password is set but nats.user is not");
    return undefined;
  }
  if (nats.passwordFile === undefined) return { user: nats.user, pass: nats.password };
  let raw: Buffer;
  try {
    raw = readFile(nats.passwordFile);
  } catch (err) {
    throw new Error(`nats.passwordFile = ${JSON.stringify(nats.passwordFile)}: cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  if (raw.byteLength > MAX_SECRET_FILE_BYTES) throw new Error(`nats.passwordFile = ${JSON.stringify(nats.passwordFile)}: ${raw.byteLength} bytes, more than a password (at most ${MAX_SECRET_FILE_BYTES})`);
  // `echo pw > file` and `docker secret create` from such a file leave one newline at the end.
  const pass = raw.toString("utf8").replace(/\r?\n$/, "");
  if (pass.length === 0) throw new Error(`nats.passwordFile = ${JSON.stringify(nats.passwordFile)}: the file is empty`);
  return { user: nats.user, pass };
}
