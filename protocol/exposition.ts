import { ATTR, METRIC } from "./names.js";

/**
 * The names the collector's Prometheus exposition (`/metrics`) speaks, in one table, so that the
 * collector's renderer, the dashboards and the alert-rule export use the same rows without
 * importing the collector. From the wire's OpenTelemetry names to the names the Prometheus
 * ecosystem already speaks: node_exporter for hosts, cAdvisor for containers; then the families
 * computed from the collector's state rather than copied from one wire metric (blackbox_exporter's
 * `probe_*` for status checks, `vigie_*` where no exporter has a name). See ARCHITECTURE.md for
 * why these names.
 *
 * A new wire name is a new row in `EXPOSITION_MAPPING` (and a row in its unit test); a new
 * computed family is an entry in `EXPOSITION_FAMILIES`. The collector checks the table when it
 * starts (rows that share a family must agree on its type).
 */

/** Prometheus metric type of a family. */
export type PromType = "counter" | "gauge";
/** Whose series a row makes: the host resource, or a container resource of that host. */
export type ExpositionTarget = "host" | "container";
/** An OTel attribute, or several tried in order (the first present one wins). */
export type AttrSource = string | readonly string[];

export interface MappingRow {
  otel: string;
  target: ExpositionTarget;
  /** Only points whose attributes have these values (a list: any of them). */
  when?: Readonly<Record<string, string | readonly string[]>>;
  prom: string;
  type: PromType;
  help: string;
  /** Prometheus label ← OTel point attribute. */
  labels?: Readonly<Record<string, AttrSource>>;
  /** OTel enum value → the exporter's word, per Prometheus label. */
  values?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Points that end up with the same labels are summed (default: the last one wins). */
  sum?: boolean;
  /** Multiplies the value (unit conversion). */
  scale?: number;
}

const M = METRIC;
const A = ATTR;
const dir = (d: string) => ({ [A.diskIoDirection]: d });
const net = (d: string) => ({ [A.networkIoDirection]: d });
const mem = (s: string) => ({ [A.memoryState]: s });
const fsLabels = { device: A.device, fstype: A.filesystemType, mountpoint: A.filesystemMountpoint };
const netDevice = { device: [A.networkInterfaceName, A.device] } as const;
const diskDevice = { device: A.device };

/** node_exporter's meminfo family of one field: `node_memory_<field>_bytes` (the HugePages_ counts without `_bytes`). */
function meminfo(field: string, otel: string, when?: MappingRow["when"], sum?: true): MappingRow {
  const name = field.startsWith("HugePages_") ? field : `${field}_bytes`;
  return { otel, ...(when ? { when } : {}), target: "host", prom: `node_memory_${name}`, type: "gauge", help: `Memory information field ${name}.`, ...(sum ? { sum } : {}) };
}

/** node_exporter's diskstats family of one wire metric in one direction. */
function diskstat(otel: string, direction: "read" | "write", prom: string, help: string): MappingRow {
  return { otel, when: dir(direction), target: "host", prom, type: "counter", help, labels: diskDevice };
}

/** node_exporter's netdev families of one wire metric: `node_network_{receive,transmit}_<stat>_total`. */
function netdev(otel: string, stat: string): MappingRow[] {
  return (["receive", "transmit"] as const).map((d): MappingRow => ({
    otel, when: net(d), target: "host", prom: `node_network_${d}_${stat}_total`, type: "counter", help: `Network device statistic ${d}_${stat}.`, labels: netDevice,
  }));
}

/**
 * The `/proc/meminfo` fields the agent sends beside the ones its OTel metrics carry (MemTotal,
 * MemFree, MemAvailable, Buffers, Cached, SReclaimable, SwapTotal, SwapFree), as [node_exporter's
 * spelling, the file's key]: all of node_exporter's on a current kernel.
 */
export const MEMINFO_FIELDS: readonly (readonly [string, string])[] = [
  "Active", "Active_anon", "Active_file", "AnonHugePages", "AnonPages", "Balloon", "Bounce", "CmaFree", "CmaTotal", "CommitLimit",
  "Committed_AS", "DirectMap1G", "DirectMap2M", "DirectMap4k", "Dirty", "FileHugePages", "FilePmdMapped", "HardwareCorrupted",
  "HugePages_Free", "HugePages_Rsvd", "HugePages_Surp", "HugePages_Total", "Hugepagesize", "Hugetlb", "Inactive", "Inactive_anon",
  "Inactive_file", "KReclaimable", "KernelStack", "Mapped", "Mlocked", "NFS_Unstable", "PageTables", "Percpu", "SUnreclaim",
  "SecPageTables", "Shmem", "ShmemHugePages", "ShmemPmdMapped", "Slab", "SwapCached", "Unaccepted", "Unevictable", "VmallocChunk",
  "VmallocTotal", "VmallocUsed", "Writeback", "WritebackTmp", "Zswap", "Zswapped",
].map((f) => [f, f.replace(/_(anon|file)$/, "($1)")] as const);

/** `/proc/vmstat` fields node_exporter keeps by default. */
export const VMSTAT_FIELDS: readonly string[] = ["oom_kill", "pgfault", "pgmajfault", "pgpgin", "pgpgout", "pswpin", "pswpout"];

/** `/proc/net/snmp`, `snmp6` and `netstat` fields node_exporter keeps by default, as `Proto_Field`. */
export const NETSTAT_FIELDS: readonly string[] = [
  "Icmp_InErrors", "Icmp_InMsgs", "Icmp_OutMsgs", "Icmp6_InErrors", "Icmp6_InMsgs", "Icmp6_OutMsgs",
  "Ip_Forwarding", "Ip6_InOctets", "Ip6_OutOctets", "IpExt_InOctets", "IpExt_OutOctets",
  "Tcp_ActiveOpens", "Tcp_CurrEstab", "Tcp_InErrs", "Tcp_InSegs", "Tcp_OutRsts", "Tcp_OutSegs", "Tcp_PassiveOpens", "Tcp_RetransSegs",
  "TcpExt_ListenDrops", "TcpExt_ListenOverflows", "TcpExt_SyncookiesFailed", "TcpExt_SyncookiesRecv", "TcpExt_SyncookiesSent",
  "TcpExt_TCPOFOQueue", "TcpExt_TCPRcvQDrop", "TcpExt_TCPSynRetrans", "TcpExt_TCPTimeouts",
  "Udp_InDatagrams", "Udp_InErrors", "Udp_NoPorts", "Udp_OutDatagrams", "Udp_RcvbufErrors", "Udp_SndbufErrors",
  "Udp6_InDatagrams", "Udp6_InErrors", "Udp6_NoPorts", "Udp6_OutDatagrams", "Udp6_RcvbufErrors", "Udp6_SndbufErrors",
  "UdpLite_InErrors", "UdpLite6_InErrors",
];
/** The netstat fields that are levels, not counts. */
const NETSTAT_GAUGES: ReadonlySet<string> = new Set(["Ip_Forwarding", "Tcp_CurrEstab"]);

/** `/proc/net/sockstat` and `sockstat6` fields, as `PROTO_field` (all of node_exporter's but the `_mem_bytes` ones). */
export const SOCKSTAT_FIELDS: readonly string[] = [
  "sockets_used", "TCP_alloc", "TCP_inuse", "TCP_mem", "TCP_orphan", "TCP_tw", "UDP_inuse", "UDP_mem", "UDPLITE_inuse", "RAW_inuse",
  "FRAG_inuse", "FRAG_memory", "TCP6_inuse", "UDP6_inuse", "UDPLITE6_inuse", "RAW6_inuse", "FRAG6_inuse", "FRAG6_memory",
];

/** node_exporter's names for what the agents measure on the host. */
const HOST_ROWS: MappingRow[] = [
  {
    otel: M.cpuTime, target: "host", prom: "node_cpu_seconds_total", type: "counter",
    help: "Seconds the CPUs spent in each mode.",
    labels: { cpu: A.cpuLogicalNumber, mode: A.cpuMode },
    values: { mode: { interrupt: "irq", kernel: "system" } },
  },
  { otel: M.loadAverage1m, target: "host", prom: "node_load1", type: "gauge", help: "1m load average." },
  { otel: M.loadAverage5m, target: "host", prom: "node_load5", type: "gauge", help: "5m load average." },
  { otel: M.loadAverage15m, target: "host", prom: "node_load15", type: "gauge", help: "15m load average." },
  meminfo("MemTotal", M.memoryLimit),
  meminfo("MemAvailable", M.memoryAvailable),
  meminfo("MemFree", M.memoryUsage, mem("free")),
  meminfo("Buffers", M.memoryUsage, mem("buffers")),
  meminfo("Cached", M.memoryUsage, mem("cached")),
  meminfo("SReclaimable", M.memoryUsage, mem("slab_reclaimable")),
  meminfo("SwapTotal", M.pagingUsage, { [A.pagingState]: ["used", "free"] }, true),
  meminfo("SwapFree", M.pagingUsage, { [A.pagingState]: "free" }, true),
  { otel: M.filesystemLimit, target: "host", prom: "node_filesystem_size_bytes", type: "gauge", help: "Filesystem size in bytes.", labels: fsLabels },
  {
    otel: M.filesystemUsage, when: { [A.filesystemState]: "free" }, target: "host", prom: "node_filesystem_avail_bytes", type: "gauge",
    help: "Filesystem space available to non-root users in bytes.", labels: fsLabels,
  },
  {
    otel: M.filesystemUsage, when: { [A.filesystemState]: ["free", "reserved"] }, target: "host", prom: "node_filesystem_free_bytes", type: "gauge",
    help: "Filesystem free space in bytes.", labels: fsLabels, sum: true,
  },
  diskstat(M.diskIo, "read", "node_disk_read_bytes_total", "The total number of bytes read successfully."),
  diskstat(M.diskIo, "write", "node_disk_written_bytes_total", "The total number of bytes written successfully."),
  diskstat(M.diskOperations, "read", "node_disk_reads_completed_total", "The total number of reads completed successfully."),
  diskstat(M.diskOperations, "write", "node_disk_writes_completed_total", "The total number of writes completed successfully."),
  diskstat(M.diskOperationTime, "read", "node_disk_read_time_seconds_total", "The total number of seconds spent by all reads."),
  diskstat(M.diskOperationTime, "write", "node_disk_write_time_seconds_total", "This is the total number of seconds spent by all writes."),
  diskstat(M.diskMerged, "read", "node_disk_reads_merged_total", "The total number of reads merged."),
  diskstat(M.diskMerged, "write", "node_disk_writes_merged_total", "The number of writes merged."),
  { otel: M.diskIoTime, target: "host", prom: "node_disk_io_time_seconds_total", type: "counter", help: "Total seconds spent doing I/Os.", labels: diskDevice },
  { otel: M.diskWeightedIoTime, target: "host", prom: "node_disk_io_time_weighted_seconds_total", type: "counter", help: "The weighted number of seconds spent doing I/Os.", labels: diskDevice },
  { otel: M.diskPendingOperations, target: "host", prom: "node_disk_io_now", type: "gauge", help: "The number of I/Os currently in progress.", labels: diskDevice },
  ...netdev(M.networkIo, "bytes"),
  ...netdev(M.networkPackets, "packets"),
  ...netdev(M.networkErrors, "errs"),
  ...netdev(M.networkDropped, "drop"),
  {
    otel: M.temperature, target: "host", prom: "node_hwmon_temp_celsius", type: "gauge", help: "Hardware monitor for temperature (input).",
    labels: { chip: [A.hwParent, A.hwId], sensor: [A.hwName, A.hwId] },
  },
  { otel: M.bootTime, target: "host", prom: "node_boot_time_seconds", type: "gauge", help: "Node boot time, in unixtime." },
  { otel: M.time, target: "host", prom: "node_time_seconds", type: "gauge", help: "System time in seconds since epoch (1970)." },
  { otel: M.contextSwitches, target: "host", prom: "node_context_switches_total", type: "counter", help: "Total number of context switches." },
  { otel: M.interrupts, target: "host", prom: "node_intr_total", type: "counter", help: "Total number of interrupts serviced." },
  { otel: M.processesCreated, target: "host", prom: "node_forks_total", type: "counter", help: "Total number of forks." },
  { otel: M.processCount, when: { [A.processState]: "running" }, target: "host", prom: "node_procs_running", type: "gauge", help: "Number of processes in runnable state." },
  { otel: M.processCount, when: { [A.processState]: "blocked" }, target: "host", prom: "node_procs_blocked", type: "gauge", help: "Number of processes blocked waiting for I/O to complete." },
  { otel: M.fileDescriptorsAllocated, target: "host", prom: "node_filefd_allocated", type: "gauge", help: "File descriptor statistics: allocated." },
  { otel: M.fileDescriptorsLimit, target: "host", prom: "node_filefd_maximum", type: "gauge", help: "File descriptor statistics: maximum." },
  { otel: M.entropyAvailable, target: "host", prom: "node_entropy_available_bits", type: "gauge", help: "Bits of available entropy." },
  { otel: M.entropyPoolSize, target: "host", prom: "node_entropy_pool_size_bits", type: "gauge", help: "Bits of entropy pool." },
  { otel: M.conntrackEntries, target: "host", prom: "node_nf_conntrack_entries", type: "gauge", help: "Number of currently allocated flow entries for connection tracking." },
  { otel: M.conntrackLimit, target: "host", prom: "node_nf_conntrack_entries_limit", type: "gauge", help: "Maximum size of connection tracking table." },
  ...pressureRows(),
  { otel: M.networkUp, target: "host", prom: "node_network_up", type: "gauge", help: "Value is 1 if operstate is 'up', 0 otherwise.", labels: netDevice },
  { otel: M.networkMtu, target: "host", prom: "node_network_mtu_bytes", type: "gauge", help: "Network device property: mtu_bytes", labels: netDevice },
  {
    otel: M.filesystemInodes, when: { [A.filesystemState]: ["used", "free"] }, target: "host", prom: "node_filesystem_files", type: "gauge",
    help: "Filesystem total file nodes.", labels: fsLabels, sum: true,
  },
  { otel: M.filesystemInodes, when: { [A.filesystemState]: "free" }, target: "host", prom: "node_filesystem_files_free", type: "gauge", help: "Filesystem total free file nodes.", labels: fsLabels },
  { otel: M.filesystemReadonly, target: "host", prom: "node_filesystem_readonly", type: "gauge", help: "Filesystem read-only status.", labels: fsLabels },
  { otel: M.filesystemError, target: "host", prom: "node_filesystem_device_error", type: "gauge", help: "Whether an error occurred while getting statistics for the given device.", labels: fsLabels },
  ...MEMINFO_FIELDS.map(([field]) => meminfo(field, M.memoryField, { [A.linuxField]: field })),
  ...VMSTAT_FIELDS.map((field): MappingRow => ({
    otel: M.vmstat, when: { [A.linuxField]: field }, target: "host", prom: `node_vmstat_${field}`, type: "counter", help: `/proc/vmstat information field ${field}.`,
  })),
  ...NETSTAT_FIELDS.map((field): MappingRow => ({
    otel: M.netstat, when: { [A.linuxField]: field }, target: "host", prom: `node_netstat_${field}`, type: NETSTAT_GAUGES.has(field) ? "gauge" : "counter",
    help: `Statistic ${field.replace("_", "")}.`,
  })),
  ...SOCKSTAT_FIELDS.map((field): MappingRow => ({
    otel: M.sockstat, when: { [A.linuxField]: field }, target: "host", prom: `node_sockstat_${field}`, type: "gauge", help: `Number of ${field.replace("_", " ")}.`,
  })),
];

/** node_exporter's pressure families: `some` is "waiting", `full` is "stalled" (cpu full since Linux 5.13). */
function pressureRows(): MappingRow[] {
  return (["cpu", "io", "memory"] as const).flatMap((resource) =>
    (["some", "full"] as const).map((scope): MappingRow => {
      const what = scope === "some" ? "waiting" : "stalled";
      return {
        otel: M.pressureStallTime, when: { [A.pressureResource]: resource, [A.pressureScope]: scope }, target: "host",
        prom: `node_pressure_${resource}_${what}_seconds_total`, type: "counter",
        help: `Total time in seconds that ${scope === "some" ? "processes have waited for" : "no process could make progress for lack of"} ${resource === "cpu" ? "CPU time" : resource}.`,
      };
    }),
  );
}

const ifaceLabel = { interface: [A.networkInterfaceName, A.device] } as const;

/** cAdvisor's network families of one wire metric: `container_network_{receive,transmit}_<stat>_total`, per interface. */
function cadvisorNetwork(otel: string, stat: string, received: string, transmitted: string): MappingRow[] {
  return ([["receive", received], ["transmit", transmitted]] as const).map(([d, what]): MappingRow => ({
    otel, when: net(d), target: "container", prom: `container_network_${d}_${stat}_total`, type: "counter", help: `Cumulative count of ${what}`, labels: ifaceLabel, sum: true,
  }));
}

/** cAdvisor's filesystem family of one wire metric in one direction, summed over the container's devices. */
function cadvisorFs(otel: string, direction: "read" | "write", prom: string, help: string): MappingRow {
  return { otel, when: dir(direction), target: "container", prom, type: "counter", help, sum: true };
}

/** cAdvisor's names for what the agents measure per container. */
const CONTAINER_ROWS: MappingRow[] = [
  // The user+system sum stands for usage when the agent sends no total; a later total_time metric replaces it.
  { otel: M.containerCpuTime, target: "container", prom: "container_cpu_usage_seconds_total", type: "counter", help: "Cumulative cpu time consumed in seconds.", sum: true },
  { otel: M.containerCpuTotalTime, target: "container", prom: "container_cpu_usage_seconds_total", type: "counter", help: "Cumulative cpu time consumed in seconds." },
  { otel: M.containerCpuTime, when: { [A.cpuMode]: "user" }, target: "container", prom: "container_cpu_user_seconds_total", type: "counter", help: "Cumulative user cpu time consumed in seconds." },
  { otel: M.containerCpuTime, when: { [A.cpuMode]: ["system", "kernel"] }, target: "container", prom: "container_cpu_system_seconds_total", type: "counter", help: "Cumulative system cpu time consumed in seconds." },
  { otel: M.containerCpuPeriods, target: "container", prom: "container_cpu_cfs_periods_total", type: "counter", help: "Number of elapsed enforcement period intervals." },
  { otel: M.containerCpuThrottledPeriods, target: "container", prom: "container_cpu_cfs_throttled_periods_total", type: "counter", help: "Number of throttled period intervals." },
  { otel: M.containerCpuThrottledTime, target: "container", prom: "container_cpu_cfs_throttled_seconds_total", type: "counter", help: "Total time duration the container has been throttled." },
  { otel: M.containerMemoryUsage, target: "container", prom: "container_memory_usage_bytes", type: "gauge", help: "Current memory usage in bytes, including all memory regardless of when it was accessed" },
  { otel: M.containerMemoryWorkingSet, target: "container", prom: "container_memory_working_set_bytes", type: "gauge", help: "Current working set in bytes." },
  { otel: M.containerMemoryRss, target: "container", prom: "container_memory_rss", type: "gauge", help: "Size of RSS in bytes." },
  { otel: M.containerMemoryCache, target: "container", prom: "container_memory_cache", type: "gauge", help: "Number of bytes of page cache memory." },
  { otel: M.containerMemoryLimit, target: "container", prom: "container_spec_memory_limit_bytes", type: "gauge", help: "Memory limit for the container." },
  { otel: M.containerOomKills, target: "container", prom: "container_oom_events_total", type: "counter", help: "Count of out of memory events observed for the container" },
  ...cadvisorNetwork(M.containerNetworkIo, "bytes", "bytes received", "bytes transmitted"),
  ...cadvisorNetwork(M.containerNetworkPackets, "packets", "packets received", "packets transmitted"),
  ...cadvisorNetwork(M.containerNetworkErrors, "errors", "errors encountered while receiving", "errors encountered while transmitting"),
  ...cadvisorNetwork(M.containerNetworkDropped, "packets_dropped", "packets dropped while receiving", "packets dropped while transmitting"),
  cadvisorFs(M.containerDiskIo, "read", "container_fs_reads_bytes_total", "Cumulative count of bytes read"),
  cadvisorFs(M.containerDiskIo, "write", "container_fs_writes_bytes_total", "Cumulative count of bytes written"),
  cadvisorFs(M.containerDiskOperations, "read", "container_fs_reads_total", "Cumulative count of reads completed"),
  cadvisorFs(M.containerDiskOperations, "write", "container_fs_writes_total", "Cumulative count of writes completed"),
  { otel: M.containerPids, target: "container", prom: "container_processes", type: "gauge", help: "Number of processes running inside the container." },
  { otel: M.containerStartTime, target: "container", prom: "container_start_time_seconds", type: "gauge", help: "Start time of the container since unix epoch in seconds." },
  // cAdvisor has no name for these: Vigie's own.
  { otel: M.containerRestarts, target: "container", prom: "vigie_container_restarts_total", type: "counter", help: "Times the engine restarted the container." },
  {
    otel: M.containerHealth, target: "container", prom: "vigie_container_health_status", type: "gauge",
    help: "Container health check status (1 for the current one, 0 for the others).", labels: { status: A.containerHealthStatus },
  },
  {
    otel: M.containerState, target: "container", prom: "vigie_container_state", type: "gauge",
    help: "Container state (1 for the current state, 0 for the others).", labels: { state: A.containerState },
  },
];

/** Every row: the wire name → the exposition's name. A new wire name is a new row here. */
export const EXPOSITION_MAPPING: readonly MappingRow[] = [...HOST_ROWS, ...CONTAINER_ROWS];

/**
 * Labels every container series carries, from the container's resource attributes: cAdvisor's
 * `name` and `image`, and the Swarm labels under cAdvisor's `container_label_*` spelling.
 * The container id and the task id are left out by default (unbounded).
 */
export const CONTAINER_RESOURCE_LABELS: Readonly<Record<string, string>> = {
  name: A.containerName,
  image: A.containerImageName,
  container_label_com_docker_swarm_service_name: A.swarmServiceName,
  container_label_com_docker_stack_namespace: A.serviceNamespace,
};


/** Labels every host and container series carries: the node's hostname (what people call it) and its id. */
export const NODE_LABELS = ["node", "node_id"] as const;

/** A family computed from the collector's state (not copied from one wire metric). */
export interface ExpositionFamily {
  name: string;
  type: PromType;
  help: string;
  /** Its labels, beyond none: always bounded (names, states), never ids of containers or tasks. */
  labels: readonly string[];
}

const family = <L extends readonly string[]>(name: string, type: PromType, help: string, labels: L) => ({ name, type, help, labels });
const SERVICE = ["service", "stack"] as const;
const CHECK = ["check", "service", "node"] as const;

/**
 * The families the collector computes from its state: cAdvisor's and node_exporter's that no
 * wire metric maps onto one to one, blackbox_exporter's for status checks (one series per check
 * name, service and node), and Vigie's own under `vigie_*`.
 */
export const EXPOSITION_FAMILIES = {
  containerLastSeen: family("container_last_seen", "gauge", "Last time a container was seen by the exporter", [...NODE_LABELS, ...Object.keys(CONTAINER_RESOURCE_LABELS)]),
  nodeUname: family("node_uname_info", "gauge", "Labeled system information as provided by the uname system call.", [...NODE_LABELS, "machine", "nodename", "release", "sysname"] as const),
  nodeStatus: family(
    "vigie_node_status",
    "gauge",
    "Whether the node's agent reports (up), missed 3 intervals (stale) or is silent past the down delay (down).",
    [...NODE_LABELS, "status"] as const,
  ),
  probeSuccess: family("probe_success", "gauge", "Whether the last run of the status check succeeded (1) or not (0).", CHECK),
  probeDuration: family("probe_duration_seconds", "gauge", "How long the last run of the status check took, in seconds.", CHECK),
  probeHttpStatusCode: family("probe_http_status_code", "gauge", "HTTP status code of the last run (0 when no response came).", CHECK),
  probeSslEarliestCertExpiry: family("probe_ssl_earliest_cert_expiry", "gauge", "Not-after of the server certificate, Unix seconds.", CHECK),
  checkState: family(
    "vigie_check_state",
    "gauge",
    "State of the status check after failure/success thresholds: 1 on the current state (unknown, up, down, error).",
    [...CHECK, "state"] as const,
  ),
  swarmNodeReady: family("vigie_swarm_node_ready", "gauge", "1 when the Swarm node's state is ready.", ["node", "node_id", "role"] as const),
  swarmNodeAvailability: family("vigie_swarm_node_availability", "gauge", "1 for the Swarm node's availability (active, pause, drain).", ["node", "availability"] as const),
  swarmManagerReachable: family("vigie_swarm_manager_reachable", "gauge", "1 when the manager is reachable in the raft.", ["node"] as const),
  swarmManagerLeader: family("vigie_swarm_manager_leader", "gauge", "1 on the raft leader.", ["node"] as const),
  swarmManagers: family("vigie_swarm_managers", "gauge", "Managers in the swarm.", [] as const),
  swarmManagersReachable: family("vigie_swarm_managers_reachable", "gauge", "Managers reachable.", [] as const),
  swarmQuorumOk: family("vigie_swarm_quorum_ok", "gauge", "1 when a majority of managers is reachable.", [] as const),
  swarmServiceReplicasDesired: family("vigie_swarm_service_replicas_desired", "gauge", "Replicas the service should run.", SERVICE),
  swarmServiceReplicasRunning: family("vigie_swarm_service_replicas_running", "gauge", "Tasks running.", SERVICE),
  swarmServiceReplicasHealthy: family("vigie_swarm_service_replicas_healthy", "gauge", "Running tasks not reported unhealthy.", SERVICE),
  swarmServiceTaskFailuresRecent: family("vigie_swarm_service_task_failures_recent", "gauge", "Tasks failed or rejected within the crash-loop window.", SERVICE),
  swarmServiceCrashLooping: family("vigie_swarm_service_crash_looping", "gauge", "1 when the service's tasks keep failing.", SERVICE),
  swarmServiceUpdateState: family(
    "vigie_swarm_service_update_state",
    "gauge",
    "1 for the service's update state (updating, paused, rollback_completed, …).",
    [...SERVICE, "state"] as const,
  ),
  // The pipeline's own health, served by the collector (collector/selfmetrics.ts, history and exposition metrics).
  ingestMessages: family("vigie_ingest_messages_total", "counter", "Messages taken from JetStream, by outcome (accepted, duplicate).", ["outcome"] as const),
  ingestDeadLetters: family("vigie_ingest_dead_letters_total", "counter", "Messages refused and moved to the dead-letter subject, by reason.", ["reason"] as const),
  ingestLag: family("vigie_ingest_lag_seconds", "gauge", "Delay from sampling on the node to storing in the collector, of the last message.", [] as const),
  agentMessagesMissing: family("vigie_agent_messages_missing", "gauge", "Messages an agent numbered that never reached the collector, by node.", ["node"] as const),
  nodeLastSeen: family("vigie_node_last_seen_seconds", "gauge", "Seconds since the node's agent was last heard from.", ["node"] as const),
  modelListenerErrors: family("vigie_model_listener_errors_total", "counter", "Calls of a subscriber to the collector's model that failed; ingest went on.", [] as const),
  historySeries: family("vigie_history_series", "gauge", "Series held in memory at sample resolution.", [] as const),
  expositionRenderSeconds: family("vigie_exposition_render_seconds", "gauge", "Time the previous /metrics took to render the node_exporter and cAdvisor families.", [] as const),
  // Families of the capabilities that compute them from the model: logs, alerts, autoscaler.
  logRecords: family("vigie_log_records_total", "counter", "Log records received, by service and severity (trace, debug, info, warn, error, fatal, unknown).", [...NODE_LABELS, ...SERVICE, "severity"] as const),
  alerts: family("vigie_alerts", "gauge", "Alerts of the rule engine, 1 per alert by state (pending, firing).", ["alertname", "state", "severity"] as const),
  alertNotifications: family("vigie_alert_notifications_total", "counter", "Notifications sent, by receiver and outcome (sent, failed).", ["receiver", "outcome"] as const),
  autoscaleDesiredReplicas: family("vigie_autoscale_desired_replicas", "gauge", "Replicas the autoscaler wants for the service.", SERVICE),
  autoscaleMinReplicas: family("vigie_autoscale_min_replicas", "gauge", "Lower bound of the service's replicas (vigie.autoscale.min).", SERVICE),
  autoscaleMaxReplicas: family("vigie_autoscale_max_replicas", "gauge", "Upper bound of the service's replicas (vigie.autoscale.max).", SERVICE),
  autoscaleEvents: family("vigie_autoscale_events_total", "counter", "Scaling decisions applied, by direction (up, down) and reason.", [...SERVICE, "direction", "reason"] as const),
} as const satisfies Record<string, ExpositionFamily>;
