import { ATTR, MEMINFO_FIELDS, METRIC, type Metric } from "../../protocol/index.js";
import { fieldMetric } from "./kernel.js";

/** `/proc/meminfo` as bytes per key (`MemTotal`, `MemAvailable`, …); `HugePages_*` are counts, kept as is. */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^([\w()]+):\s+(\d+)(\s+kB)?/.exec(line);
    if (m) out.set(m[1] as string, Number(m[2]) * (m[3] ? 1024 : 1));
  }
  return out;
}

/**
 * Memory in OTel's states, each one a meminfo field so the node_exporter names map back exactly:
 * free = MemFree, buffers = Buffers, cached = Cached, slab_reclaimable = SReclaimable (the
 * hostmetrics state), used = total − the four (what `free` calls used). They sum to the limit.
 * `MemAvailable` is its own metric; swap is `system.paging.usage` (used, free).
 */
export function memoryMetrics(mem: Map<string, number>): Metric[] {
  const total = mem.get("MemTotal") ?? 0;
  const free = mem.get("MemFree") ?? 0;
  const buffers = mem.get("Buffers") ?? 0;
  const cached = mem.get("Cached") ?? 0;
  const slab = mem.get("SReclaimable") ?? 0;
  const used = Math.max(0, total - free - buffers - cached - slab);
  const state = (s: string, value: number) => ({ attributes: { [ATTR.memoryState]: s }, value });
  const out: Metric[] = [
    {
      name: METRIC.memoryUsage,
      type: "updowncounter",
      unit: "By",
      points: [state("used", used), state("free", free), state("buffers", buffers), state("cached", cached), state("slab_reclaimable", slab)],
    },
    { name: METRIC.memoryLimit, type: "updowncounter", unit: "By", points: [{ value: total }] },
  ];
  const available = mem.get("MemAvailable");
  if (available !== undefined) out.push({ name: METRIC.memoryAvailable, type: "updowncounter", unit: "By", points: [{ value: available }] });
  const swapTotal = mem.get("SwapTotal");
  const swapFree = mem.get("SwapFree");
  if (swapTotal !== undefined && swapFree !== undefined) {
    const paging = (s: string, value: number) => ({ attributes: { [ATTR.pagingState]: s }, value });
    out.push({ name: METRIC.pagingUsage, type: "updowncounter", unit: "By", points: [paging("used", Math.max(0, swapTotal - swapFree)), paging("free", swapFree)] });
  }
  return out;
}

/** The other meminfo fields node_exporter exposes (Active, Shmem, Slab, Dirty, HugePages_*, …), one point each. */
export function memoryFieldMetrics(mem: Map<string, number>): Metric[] {
  return fieldMetric(METRIC.memoryField, "gauge", "By", mem, MEMINFO_FIELDS);
}
