import { EXPOSITION_MAPPING, type AttrSource, type MappingRow, type PromType } from "../../protocol/index.js";

/**
 * The exposition's name table (in `protocol/exposition.ts`, shared with dashboards and the
 * alert-rule export) compiled for rendering: indexed by wire name, families numbered. Compiling
 * is the start-up check of the table: rows sharing a family must agree on its type.
 */

export interface CompiledRow extends MappingRow {
  /** Index of the row's family in `families`. */
  family: number;
  labelNames: string[];
  labelSources: (readonly string[])[];
  whenEntries: [string, readonly string[]][];
}

export interface CompiledMapping {
  families: { name: string; type: PromType; help: string }[];
  byOtel: Map<string, CompiledRow[]>;
}

/** Indexes the table by wire name and numbers the families in table order (rows may share one). */
export function compileMapping(rows: readonly MappingRow[] = EXPOSITION_MAPPING): CompiledMapping {
  const families: CompiledMapping["families"] = [];
  const familyIndex = new Map<string, number>();
  const byOtel = new Map<string, CompiledRow[]>();
  for (const row of rows) {
    let family = familyIndex.get(row.prom);
    if (family === undefined) {
      family = families.length;
      families.push({ name: row.prom, type: row.type, help: row.help });
      familyIndex.set(row.prom, family);
    } else if (families[family]?.type !== row.type) {
      throw new Error(`mapping rows for ${row.prom} disagree on its type`);
    }
    const labelNames = Object.keys(row.labels ?? {});
    const compiled: CompiledRow = {
      ...row,
      family,
      labelNames,
      labelSources: labelNames.map((l) => {
        const s = (row.labels ?? {})[l] as AttrSource;
        return typeof s === "string" ? [s] : s;
      }),
      whenEntries: Object.entries(row.when ?? {}).map(([k, v]) => [k, typeof v === "string" ? [v] : v]),
    };
    const list = byOtel.get(row.otel) ?? [];
    list.push(compiled);
    byOtel.set(row.otel, list);
  }
  return { families, byOtel };
}

/** True when the point's attributes satisfy the row's `when`. */
export function rowMatches(row: CompiledRow, attrs: Readonly<Record<string, string | number | boolean>> | undefined): boolean {
  for (const [k, allowed] of row.whenEntries) {
    const v = attrs?.[k];
    if (v === undefined || !allowed.includes(String(v))) return false;
  }
  return true;
}

/** The row's Prometheus labels for one point (label name → value), in the row's order. */
export function rowLabels(row: CompiledRow, attrs: Readonly<Record<string, string | number | boolean>> | undefined): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < row.labelNames.length; i++) {
    const name = row.labelNames[i] as string;
    let value: string | number | boolean | undefined;
    for (const src of row.labelSources[i] as readonly string[]) {
      value = attrs?.[src];
      if (value !== undefined) break;
    }
    if (value === undefined) continue;
    const s = String(value);
    out.push([name, row.values?.[name]?.[s] ?? s]);
  }
  return out;
}
