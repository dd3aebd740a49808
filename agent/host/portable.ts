import os from "node:os";
import { CPU_MODES, METRIC, type Metric } from "../../protocol/index.js";
import { cpuMetrics, type CpuTimes } from "./cpu.js";
import { factAttributes, hostArch, osType } from "./facts.js";
import { filesystemMetrics, selectMounts } from "./filesystems.js";
import { memoryMetrics } from "./memory.js";
import { networkMetrics } from "./network.js";
import type { CompiledFilters } from "./options.js";
import { systemMetrics } from "./system.js";

type SystemInformation = typeof import("systeminformation");

/**
 * Hosts without `/proc` (Windows, macOS): Node's own `os` for CPU, load and uptime, and
 * systeminformation for memory, filesystems and network (it forks helpers there, so this path
 * is for the platforms that have nothing better). No per-device disk I/O here.
 */
export class PortableHost {
  private si: Promise<SystemInformation> | undefined;

  constructor(
    private readonly filters: CompiledFilters,
    private readonly now: () => number = Date.now,
  ) {}

  async facts(): Promise<Record<string, string>> {
    const si = await this.lib();
    const [info, cpu] = await Promise.all([si.osInfo(), si.cpu()]);
    return factAttributes({
      arch: hostArch(os.arch()),
      osType: osType(process.platform),
      osDescription: [info.distro, info.release].filter(Boolean).join(" ") || undefined,
      osVersion: info.kernel || undefined,
      cpuModel: [cpu.manufacturer, cpu.brand].filter(Boolean).join(" ") || undefined,
    });
  }

  async sample(): Promise<Metric[]> {
    const si = await this.lib();
    const cpus: CpuTimes[] = os.cpus().map((c, cpu) => {
      const byMode: Record<string, number> = { user: c.times.user, nice: c.times.nice, system: c.times.sys, idle: c.times.idle, interrupt: c.times.irq };
      return { cpu, seconds: CPU_MODES.map((m) => (byMode[m] ?? 0) / 1000) };
    });
    const uptime = os.uptime();
    const load = process.platform === "win32" ? undefined : os.loadavg();
    const [mem, fs, net] = await Promise.all([si.mem(), si.fsSize(), si.networkStats("*")]);
    const meminfo = new Map([
      ["MemTotal", mem.total],
      ["MemFree", mem.free],
      ["MemAvailable", mem.available],
      ["Buffers", mem.buffers],
      ["Cached", mem.cached],
      ["SReclaimable", mem.reclaimable],
      ["SwapTotal", mem.swaptotal],
      ["SwapFree", mem.swapfree],
    ]);
    const mounts = selectMounts(
      fs.map((f) => ({ mountPoint: f.mount, device: f.fs, fsType: f.type, readOnly: f.rw === false })),
      { excludeTypes: this.filters.fsTypes, excludeMountPoints: this.filters.mountPoints },
    );
    const filesystems = mounts.flatMap((mount) => {
      const f = fs.find((x) => x.mount === mount.mountPoint);
      return f ? [{ mount, space: { bsize: 1, blocks: f.size, bfree: f.size - f.used, bavail: f.available } }] : [];
    });
    const interfaces = net
      .filter((n) => !this.filters.interfaces?.test(n.iface))
      .map((n) => ({ name: n.iface, rxBytes: n.rx_bytes, rxPackets: 0, rxErrors: n.rx_errors, rxDropped: n.rx_dropped, txBytes: n.tx_bytes, txPackets: 0, txErrors: n.tx_errors, txDropped: n.tx_dropped }));
    return [
      ...cpuMetrics(cpus),
      ...systemMetrics(load ? { load1: load[0] ?? 0, load5: load[1] ?? 0, load15: load[2] ?? 0 } : undefined, uptime, Math.round(this.now() / 1000 - uptime)),
      ...memoryMetrics(meminfo),
      ...filesystemMetrics(filesystems),
      // systeminformation has no packet counts here: leave the metric out rather than send zeros.
      ...networkMetrics(interfaces).filter((m) => m.name !== METRIC.networkPackets),
    ];
  }

  private lib(): Promise<SystemInformation> {
    this.si ??= import("systeminformation");
    return this.si;
  }
}
