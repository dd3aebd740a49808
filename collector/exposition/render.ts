import { CONTAINER_RESOURCE_LABELS, EXPOSITION_FAMILIES, type Attributes, type ExpositionTarget, type PromType } from "../../protocol/index.js";
import type { NodeMetrics, ResourceSnapshot } from "../history/latest.js";
import { compileMapping, rowLabels, rowMatches, type CompiledMapping } from "./mapping.js";

/** Prometheus text format 0.0.4. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const NEEDS_ESCAPE = /[\\"\n]/;

export function escapeLabelValue(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function escapeHelp(h: string): string {
  return h.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

const LAST_SEEN = EXPOSITION_FAMILIES.containerLastSeen;
const UNAME = EXPOSITION_FAMILIES.nodeUname;
/** OTel `host.arch` → uname's machine. */
const MACHINE: Record<string, string> = { amd64: "x86_64", arm64: "aarch64", x86: "i686", arm32: "armv7l", ppc64: "ppc64le", s390x: "s390x" };

/**
 * Renders the node_exporter and cAdvisor families from the latest metrics of every node.
 * The text is built by hand rather than through prom-client: a cluster holds hundreds of
 * thousands of series, and each node's part is cached until that node sends again.
 */
export class ExpositionRenderer {
  private readonly mapping: CompiledMapping;
  private readonly families: { name: string; type: PromType; help: string }[];
  private readonly lastSeenFamily: number;
  private readonly unameFamily: number;
  private cache = new WeakMap<NodeMetrics, { chunks: string[]; merged: number }>();
  /** Series left out of the last render because another resource of the node had the same name and labels. */
  lastMerged = 0;

  constructor(mapping: CompiledMapping = compileMapping()) {
    this.mapping = mapping;
    this.families = [...mapping.families, LAST_SEEN, UNAME];
    this.lastSeenFamily = this.families.length - 2;
    this.unameFamily = this.families.length - 1;
  }

  /** The families of the given nodes, each with its HELP and TYPE once; empty families are left out. */
  render(nodes: Iterable<NodeMetrics>): string {
    const perNode: string[][] = [];
    let merged = 0;
    for (const n of nodes) {
      let rendered = this.cache.get(n);
      if (!rendered) {
        rendered = this.renderNode(n);
        this.cache.set(n, rendered);
      }
      perNode.push(rendered.chunks);
      merged += rendered.merged;
    }
    this.lastMerged = merged;
    let out = "";
    for (let f = 0; f < this.families.length; f++) {
      let body = "";
      for (const chunks of perNode) body += chunks[f] ?? "";
      if (!body) continue;
      const fam = this.families[f] as { name: string; type: PromType; help: string };
      out += `# HELP ${fam.name} ${escapeHelp(fam.help)}\n# TYPE ${fam.name} ${fam.type}\n${body}`;
    }
    return out;
  }

  /** Number of series the last render of these nodes holds (for the collector's own metrics). */
  countSeries(nodes: Iterable<NodeMetrics>): number {
    let n = 0;
    for (const node of nodes) {
      for (const chunk of this.cache.get(node)?.chunks ?? []) if (chunk) n += countLines(chunk);
    }
    return n;
  }

  /**
   * One node's series, by family. Two resources may differ only by attributes the exposition
   * leaves out (two containers of one name and image, the container id being no label): their
   * series would have the same name and labels, and Prometheus would silently keep one of them.
   * The containers are rendered in the order of their ids and the first series of a name and
   * labels is kept; the others are counted (`merged`).
   */
  private renderNode(n: NodeMetrics): { chunks: string[]; merged: number } {
    const chunks: string[] = new Array<string>(this.families.length).fill("");
    const seen = new Set<string>();
    const counter = { merged: 0 };
    const base = `node="${escapeLabelValue(n.hostname)}",node_id="${escapeLabelValue(n.nodeId)}"`;
    if (n.host) {
      this.renderResource(n.host, base, "host", chunks, seen, counter);
      chunks[this.unameFamily] = unameLine(n.host.resource, n.hostname, base);
    }
    const ids = [...n.containers.keys()].sort();
    for (const id of ids) {
      const c = n.containers.get(id) as ResourceSnapshot;
      const labels = base + containerLabels(c.resource);
      this.renderResource(c, labels, "container", chunks, seen, counter);
      const key = `${this.lastSeenFamily}\u0000${labels}`;
      if (seen.has(key)) counter.merged++;
      else {
        seen.add(key);
        chunks[this.lastSeenFamily] += `container_last_seen{${labels}} ${formatValue(c.time / 1000)}\n`;
      }
    }
    return { chunks, merged: counter.merged };
  }

  private renderResource(snap: ResourceSnapshot, base: string, target: ExpositionTarget, chunks: string[], seen: Set<string>, counter: { merged: number }): void {
    const values = new Map<number, Map<string, number>>();
    for (const metric of snap.metrics) {
      const rows = this.mapping.byOtel.get(metric.name);
      if (!rows) continue;
      for (const row of rows) {
        if (row.target !== target) continue;
        let fam = values.get(row.family);
        if (!fam) values.set(row.family, (fam = new Map<string, number>()));
        // A summing row adds up the points of one metric; across metrics the last one wins.
        const summed = row.sum ? new Map<string, number>() : undefined;
        for (const p of metric.points) {
          if (!rowMatches(row, p.attributes)) continue;
          let key = base;
          for (const [name, value] of rowLabels(row, p.attributes)) key += `,${name}="${escapeLabelValue(value)}"`;
          const v = p.value * (row.scale ?? 1);
          if (summed) summed.set(key, (summed.get(key) ?? 0) + v);
          else fam.set(key, v);
        }
        if (summed) for (const [key, v] of summed) fam.set(key, v);
      }
    }
    for (const [family, series] of values) {
      const name = (this.families[family] as { name: string }).name;
      let text = "";
      for (const [labels, v] of series) {
        const key = `${family}\u0000${labels}`;
        if (seen.has(key)) {
          counter.merged++;
          continue;
        }
        seen.add(key);
        text += `${name}{${labels}} ${formatValue(v)}\n`;
      }
      chunks[family] += text;
    }
  }
}

function containerLabels(resource: Attributes): string {
  let out = "";
  for (const [label, attr] of Object.entries(CONTAINER_RESOURCE_LABELS)) {
    const v = resource[attr];
    if (v !== undefined && v !== "") out += `,${label}="${escapeLabelValue(String(v))}"`;
  }
  return out;
}

function countLines(s: string): number {
  let n = 0;
  for (let i = s.indexOf("\n"); i !== -1; i = s.indexOf("\n", i + 1)) n++;
  return n;
}

/** node_exporter's `node_uname_info`, from the host facts the agent sends as resource attributes. */
function unameLine(resource: Attributes, hostname: string, base: string): string {
  const osType = resource["os.type"];
  if (osType === undefined) return "";
  const type = String(osType);
  const arch = resource["host.arch"] !== undefined ? String(resource["host.arch"]) : "";
  const labels: [string, string][] = [
    ["machine", MACHINE[arch] ?? arch],
    ["nodename", hostname],
    ["release", resource["os.version"] !== undefined ? String(resource["os.version"]) : ""],
    ["sysname", type === "linux" ? "Linux" : type === "windows" ? "Windows" : type],
  ];
  return `node_uname_info{${base}${labels.map(([k, v]) => `,${k}="${escapeLabelValue(v)}"`).join("")}} 1\n`;
}
