import { readFile } from "node:fs/promises";
import path from "node:path";
import { ATTR, type ResourceMetrics } from "../../protocol/index.js";
import type { MetricSource } from "../source.js";
import { cpuMetrics, memoryMetrics, parseMeminfo, parseProcStat } from "./procfs.js";

export interface HostSourceOptions {
  /** Where the host's root is mounted: `/` on the host, `/host` in a container. */
  hostRoot: string;
  /** Resource attributes of the host (host.name, node.id). */
  resource: Record<string, string>;
}

/** Host hardware from /proc and /sys under the host root: no child process, under a millisecond. */
export class HostSource implements MetricSource {
  readonly name = "host";
  constructor(private readonly options: HostSourceOptions) {}

  async sample(): Promise<ResourceMetrics[]> {
    const proc = (file: string) => readFile(path.join(this.options.hostRoot, "proc", file), "utf8");
    const [stat, meminfo] = await Promise.all([proc("stat"), proc("meminfo")]);
    const { cpus } = parseProcStat(stat);
    return [
      {
        resource: { ...this.options.resource, [ATTR.hostName]: this.options.resource[ATTR.hostName] ?? "" },
        metrics: [...cpuMetrics(cpus), ...memoryMetrics(parseMeminfo(meminfo))],
      },
    ];
  }
}
