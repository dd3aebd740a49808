/**
 * Metric and attribute names on the wire. OpenTelemetry semantic conventions where they have a
 * name (reference: semantic-conventions v1.44 `model/system`, `model/container`); `vigie.*` where
 * they have none. The collector's Prometheus names (node_exporter, cAdvisor, blackbox_exporter)
 * are mapped from these in one place, so agents never speak Prometheus.
 */
export const METRIC = {
  // host
  cpuTime: "system.cpu.time", // counter, s, {cpu.mode, cpu.logical_number}
  cpuLogicalCount: "system.cpu.logical.count",
  loadAverage1m: "system.cpu.load_average.1m",
  loadAverage5m: "system.cpu.load_average.5m",
  loadAverage15m: "system.cpu.load_average.15m",
  memoryUsage: "system.memory.usage", // updowncounter, By, {system.memory.state}
  memoryLimit: "system.memory.limit",
  memoryAvailable: "system.memory.linux.available",
  pagingUsage: "system.paging.usage",
  filesystemUsage: "system.filesystem.usage",
  filesystemLimit: "system.filesystem.limit",
  diskIo: "system.disk.io",
  diskOperations: "system.disk.operations",
  diskIoTime: "system.disk.io_time",
  networkIo: "system.network.io",
  networkPackets: "system.network.packet.count",
  networkErrors: "system.network.errors",
  networkDropped: "system.network.packet.dropped",
  temperature: "hw.temperature",
  uptime: "system.uptime",
  bootTime: "vigie.system.boot_time", // gauge, s since epoch (no OTel name)
  // containers
  containerCpuTime: "container.cpu.time",
  containerMemoryUsage: "container.memory.usage",
  containerMemoryWorkingSet: "container.memory.working_set",
} as const;

export const ATTR = {
  hostName: "host.name",
  nodeId: "node.id",
  cpuMode: "cpu.mode",
  cpuLogicalNumber: "cpu.logical_number",
  memoryState: "system.memory.state",
  containerId: "container.id",
  containerName: "container.name",
  containerImageName: "container.image.name",
  serviceName: "service.name",
  serviceNamespace: "service.namespace",
  swarmServiceName: "docker.swarm.service.name",
  swarmTaskSlot: "docker.swarm.task.slot",
} as const;

/** `cpu.mode` values, in the order of the columns of a `/proc/stat` cpu line. */
export const CPU_MODES = ["user", "nice", "system", "idle", "iowait", "interrupt", "softirq", "steal"] as const;
export type CpuMode = (typeof CPU_MODES)[number];
