import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

/** Where `vigie up` keeps the admin token it generated, so restarts and `vigie query` reuse it. */
export function upTokenFile(dataDir: string): string {
  return path.resolve(dataDir, "api-token");
}

/** The token `vigie up` made earlier, if any. */
export function readUpToken(dataDir: string): string | undefined {
  try {
    return readFileSync(upTokenFile(dataDir), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Reuses or creates the admin token of `vigie up` (mode 0600 under the data dir). */
export function ensureUpToken(dataDir: string): string {
  const existing = readUpToken(dataDir);
  if (existing) return existing;
  const token = `vigie_${randomBytes(24).toString("base64url")}`;
  const file = upTokenFile(dataDir);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}
