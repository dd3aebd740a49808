// The one place alerts read the exposition's metric names. When the table moves to `protocol/`,
// this import is the only line to change.
import { MAPPING } from "../exposition/mapping.js";

const FROM_TABLE: ReadonlySet<string> = new Set(MAPPING.map((row) => row.prom));

/**
 * A Prometheus name the collector's `/metrics` exposes from the mapping table. Throws at module
 * load when the table no longer has it, so a renamed metric breaks the build of the rules, not
 * the alerts in production.
 */
export function exposed(name: string): string {
  if (!FROM_TABLE.has(name)) throw new Error(`alert signal refers to ${name}, which the exposition table does not define`);
  return name;
}
