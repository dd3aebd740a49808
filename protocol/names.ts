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
  pagingUsage: "system.paging.usage", // updowncounter, By, {system.paging.state: used|free} (swap)
  filesystemUsage: "system.filesystem.usage", // updowncounter, By, {system.device, system.filesystem.state: used|free|reserved, .type, .mode, .mountpoint}
  filesystemLimit: "system.filesystem.limit", // updowncounter, By, same without state
  /** gauge, 1 when a filesystem could not be measured (statfs failed or hung, mount not visible under the host root), else 0. */
  filesystemError: "vigie.system.filesystem.error",
  diskIo: "system.disk.io", // counter, By, {system.device, disk.io.direction}
  diskOperations: "system.disk.operations", // counter, {operation}, {system.device, disk.io.direction}
  diskIoTime: "system.disk.io_time", // counter, s, {system.device}
  diskOperationTime: "system.disk.operation_time", // counter, s, {system.device, disk.io.direction}
  diskMerged: "system.disk.merged", // counter, {operation}, {system.device, disk.io.direction}
  diskWeightedIoTime: "system.disk.weighted_io_time", // counter, s, {system.device} (hostmetrics name)
  diskPendingOperations: "system.disk.pending_operations", // updowncounter, {operation}, {system.device} (hostmetrics name)
  networkIo: "system.network.io", // counter, By, {network.interface.name, network.io.direction}
  networkPackets: "system.network.packet.count", // counter, {packet}, {system.device, network.io.direction} (SC uses system.device here)
  networkErrors: "system.network.errors", // counter, {error}, {network.interface.name, network.io.direction}
  networkDropped: "system.network.packet.dropped", // counter, {packet}, {network.interface.name, network.io.direction}
  temperature: "hw.temperature", // gauge, Cel, {hw.id, hw.name, hw.parent, hw.type=temperature}
  temperatureLimit: "hw.temperature.limit", // gauge, Cel, + {hw.limit_type}
  uptime: "system.uptime", // gauge, s
  bootTime: "vigie.system.boot_time", // gauge, s since epoch (no OTel name)
  // host, kernel counters node_exporter dashboards read (agent/host/README.md)
  time: "vigie.system.time", // gauge, s since epoch: the node's clock when sampled
  contextSwitches: "vigie.system.context_switches", // counter
  interrupts: "vigie.system.interrupts", // counter
  processesCreated: "system.process.created", // counter, {process}: forks
  processCount: "system.process.count", // updowncounter, {process}, {process.state: running|blocked}
  memoryField: "vigie.system.memory.linux.field", // gauge, By (HugePages_* counts), {vigie.linux.field: meminfo key}
  vmstat: "vigie.system.vmstat", // counter, {vigie.linux.field: /proc/vmstat key}
  netstat: "vigie.system.netstat", // {vigie.linux.field: Proto_Field of /proc/net/snmp, snmp6, netstat}
  sockstat: "vigie.system.sockstat", // gauge, {vigie.linux.field: Proto_field of /proc/net/sockstat, sockstat6}
  fileDescriptorsAllocated: "vigie.system.file_descriptors.allocated", // gauge
  fileDescriptorsLimit: "vigie.system.file_descriptors.limit", // gauge
  entropyAvailable: "vigie.system.entropy.available", // gauge, bit
  entropyPoolSize: "vigie.system.entropy.pool_size", // gauge, bit
  pressureStallTime: "vigie.system.pressure.stall_time", // counter, s, {vigie.pressure.resource, vigie.pressure.scope: some|full}
  conntrackEntries: "vigie.system.conntrack.entries", // gauge
  conntrackLimit: "vigie.system.conntrack.limit", // gauge
  networkUp: "vigie.system.network.up", // gauge, 1 when operstate is up, {network.interface.name}
  networkMtu: "vigie.system.network.mtu", // gauge, By, {network.interface.name}
  filesystemInodes: "system.filesystem.inodes.usage", // updowncounter, {inode}, filesystem attributes + state (used|free)
  filesystemReadonly: "vigie.system.filesystem.readonly", // gauge, 1 when mounted read-only
  // containers
  containerCpuTime: "container.cpu.time",
  containerMemoryUsage: "container.memory.usage",
  containerMemoryWorkingSet: "container.memory.working_set",
  containerMemoryRss: "container.memory.rss",
  containerNetworkIo: "container.network.io", // counter, By, {network.interface.name, network.io.direction}
  containerDiskIo: "container.disk.io", // counter, By, {system.device, disk.io.direction}
  // containers, where OpenTelemetry has no name (vigie.container.*)
  /** counter, s: all CPU time (cgroup usage), more precise than the user+system split. */
  containerCpuTotalTime: "vigie.container.cpu.total_time",
  containerCpuPeriods: "vigie.container.cpu.periods", // counter, {period}: CFS enforcement periods
  containerCpuThrottledPeriods: "vigie.container.cpu.throttled_periods", // counter, {period}
  containerCpuThrottledTime: "vigie.container.cpu.throttled_time", // counter, s
  containerMemoryLimit: "vigie.container.memory.limit", // updowncounter, By; absent when unlimited
  containerMemoryCache: "vigie.container.memory.cache", // updowncounter, By (page cache)
  containerOomKills: "vigie.container.oom_kills", // counter, {kill}: processes the cgroup's OOM killer ended
  containerNetworkPackets: "vigie.container.network.packet.count", // counter, {packet}
  containerNetworkErrors: "vigie.container.network.errors", // counter, {error}
  containerNetworkDropped: "vigie.container.network.packet.dropped", // counter, {packet}
  containerDiskOperations: "vigie.container.disk.operations", // counter, {operation}
  containerPids: "vigie.container.pids", // updowncounter, {process}
  containerRestarts: "vigie.container.restarts", // counter, {restart}: the engine's RestartCount
  /** gauge, 1 on the point whose `container.state` is the current one (running, paused, restarting). */
  containerState: "vigie.container.state",
  /** gauge, 1 on the point whose `container.health.status` is the current one (starting, healthy, unhealthy, none). */
  containerHealth: "vigie.container.health",
  containerStartTime: "vigie.container.start_time", // gauge, s since the epoch
} as const;

export const ATTR = {
  hostName: "host.name",
  nodeId: "node.id",
  cpuMode: "cpu.mode",
  cpuLogicalNumber: "cpu.logical_number",
  memoryState: "system.memory.state",
  pagingState: "system.paging.state",
  device: "system.device",
  filesystemState: "system.filesystem.state",
  filesystemType: "system.filesystem.type",
  filesystemMode: "system.filesystem.mode",
  filesystemMountpoint: "system.filesystem.mountpoint",
  diskIoDirection: "disk.io.direction",
  networkInterfaceName: "network.interface.name",
  networkIoDirection: "network.io.direction",
  processState: "process.state",
  linuxField: "vigie.linux.field",
  pressureResource: "vigie.pressure.resource",
  pressureScope: "vigie.pressure.scope",
  hwId: "hw.id",
  hwName: "hw.name",
  hwParent: "hw.parent",
  hwType: "hw.type",
  hwLimitType: "hw.limit_type",
  hostArch: "host.arch",
  hostCpuModelName: "host.cpu.model.name",
  osType: "os.type",
  osDescription: "os.description",
  osVersion: "os.version",
  containerId: "container.id",
  containerName: "container.name",
  containerImageName: "container.image.name",
  serviceName: "service.name",
  serviceNamespace: "service.namespace",
  swarmServiceName: "docker.swarm.service.name",
  swarmTaskSlot: "docker.swarm.task.slot",
  swarmTaskId: "docker.swarm.task.id",
  swarmNodeId: "docker.swarm.node.id",
  containerState: "container.state",
  containerHealthStatus: "container.health.status",
} as const;

/** `cpu.mode` values, in the order of the columns of a `/proc/stat` cpu line. */
export const CPU_MODES = ["user", "nice", "system", "idle", "iowait", "interrupt", "softirq", "steal"] as const;
export type CpuMode = (typeof CPU_MODES)[number];
