import { existsSync } from "node:fs";
import path from "node:path";
import type { Metric, ResourceMetrics } from "../../protocol/index.js";
import type { MetricSource } from "../source.js";
import { LinuxHost } from "./linux.js";
import { compileFilters, type HostFilters } from "./options.js";

export { DISK_DEVICES_EXCLUDE, FS_TYPES_EXCLUDE, MOUNT_POINTS_EXCLUDE, NETWORK_INTERFACES_EXCLUDE, type HostFilters } from "./options.js";

export interface HostSourceOptions extends HostFilters {
  /** Where the host's root is mounted: `/` on the host, `/host` in a container. */
  hostRoot: string;
  /** Resource attributes of the host (host.name, node.id). */
  resource: Record<string, string>;
}

interface HostReader {
  facts(): Record<string, string> | Promise<Record<string, string>>;
  sample(): Promise<Metric[]>;
  close?(): void;
}

/**
 * The host's hardware: CPU, load, memory, swap, filesystems, disk I/O, network I/O,
 * temperatures, uptime and boot time, as one resource carrying the static facts (OS, CPU model)
 * as attributes. On Linux it reads `/proc`, `/sys` and `statfs` under the host root — no child
 * process, about a millisecond of CPU; elsewhere it falls back to Node's `os` and systeminformation.
 * Throws at construction when an exclusion is not a valid expression or, on Linux, when the host
 * root holds no `/proc`.
 */
export class HostSource implements MetricSource {
  readonly name = "host";
  private readonly reader: Promise<HostReader>;
  private facts: Promise<Record<string, string>> | undefined;

  constructor(private readonly options: HostSourceOptions) {
    const filters = compileFilters(options);
    if (process.platform === "linux" && !existsSync(path.join(options.hostRoot, "proc", "stat"))) {
      // Falling back to the agent's own view would report the container, not the host: refuse to start.
      throw new Error(`host root ${options.hostRoot} has no proc/stat: mount the host's / there read-only (e.g. /:/host:ro) or set agent.hostRoot`);
    }
    this.reader =
      process.platform === "linux"
        ? Promise.resolve(new LinuxHost(options.hostRoot, filters))
        : import("./portable.js").then(({ PortableHost }) => new PortableHost(filters));
  }

  async sample(): Promise<ResourceMetrics[]> {
    const reader = await this.reader;
    this.facts ??= Promise.resolve(reader.facts()).catch(() => ({}));
    const [facts, metrics] = await Promise.all([this.facts, reader.sample()]);
    return [{ resource: { ...facts, ...this.options.resource }, metrics }];
  }

  async close(): Promise<void> {
    (await this.reader).close?.();
  }
}
