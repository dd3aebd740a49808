// The one place alerts read the exposition's metric names: the table in protocol/.
import { EXPOSITION_FAMILIES, EXPOSITION_MAPPING } from "../../protocol/index.js";

const FROM_TABLE: ReadonlySet<string> = new Set([...EXPOSITION_MAPPING.map((row) => row.prom), ...Object.values(EXPOSITION_FAMILIES).map((f) => f.name)]);

/**
 * A Prometheus name the collector's `/metrics` exposes, from the exposition table. Throws at
 * module load when the table no longer has it, so a renamed metric breaks the build of the
 * rules, not the alerts in production.
 */
export function exposed(name: string): string {
  if (!FROM_TABLE.has(name)) throw new Error(`alert signal refers to ${name}, which the exposition table does not define`);
  return name;
}
