import { describe, expect, it } from "vitest";
import type { Metric } from "../../protocol/index.js";
import { LatestMetrics } from "../../collector/history/latest.js";
import { EXPOSITION_FAMILIES, EXPOSITION_MAPPING as MAPPING, MEMINFO_FIELDS, NETSTAT_FIELDS, SOCKSTAT_FIELDS, VMSTAT_FIELDS } from "../../protocol/index.js";
import { compileMapping } from "../../collector/exposition/mapping.js";
import { ExpositionRenderer, escapeLabelValue, formatValue } from "../../collector/exposition/render.js";

const HOST = 'node="web-1",node_id="n1"';
const CONTAINER = `${HOST},name="shop_web.1.abc",image="shop/web",container_label_com_docker_swarm_service_name="shop_web",container_label_com_docker_stack_namespace="shop"`;
const CONTAINER_RESOURCE = {
  "container.id": "c0ffee",
  "container.name": "shop_web.1.abc",
  "container.image.name": "shop/web",
  "docker.swarm.service.name": "shop_web",
  "service.namespace": "shop",
  "service.name": "web",
};

interface Case {
  prom: string;
  otel: string;
  target: "host" | "container";
  points: Metric["points"];
  /** Exact series lines expected in the family (order free). */
  lines: string[];
}

const p = (value: number, attributes?: Record<string, string | number>) => ({ value, attributes });

/** One case per mapping row: the wire name in, the ecosystem's name out. */
const CASES: Case[] = [
  { prom: "node_cpu_seconds_total", otel: "system.cpu.time", target: "host", points: [p(12.5, { "cpu.mode": "user", "cpu.logical_number": 0 }), p(3, { "cpu.mode": "interrupt", "cpu.logical_number": 1 })], lines: [`node_cpu_seconds_total{${HOST},cpu="0",mode="user"} 12.5`, `node_cpu_seconds_total{${HOST},cpu="1",mode="irq"} 3`] },
  { prom: "node_load1", otel: "system.cpu.load_average.1m", target: "host", points: [p(0.5)], lines: [`node_load1{${HOST}} 0.5`] },
  { prom: "node_load5", otel: "system.cpu.load_average.5m", target: "host", points: [p(0.25)], lines: [`node_load5{${HOST}} 0.25`] },
  { prom: "node_load15", otel: "system.cpu.load_average.15m", target: "host", points: [p(0.125)], lines: [`node_load15{${HOST}} 0.125`] },
  { prom: "node_memory_MemTotal_bytes", otel: "system.memory.limit", target: "host", points: [p(8e9)], lines: [`node_memory_MemTotal_bytes{${HOST}} 8000000000`] },
  { prom: "node_memory_MemAvailable_bytes", otel: "system.memory.linux.available", target: "host", points: [p(4e9)], lines: [`node_memory_MemAvailable_bytes{${HOST}} 4000000000`] },
  { prom: "node_memory_MemFree_bytes", otel: "system.memory.usage", target: "host", points: [p(1, { "system.memory.state": "free" }), p(2, { "system.memory.state": "used" })], lines: [`node_memory_MemFree_bytes{${HOST}} 1`] },
  { prom: "node_memory_Buffers_bytes", otel: "system.memory.usage", target: "host", points: [p(3, { "system.memory.state": "buffers" })], lines: [`node_memory_Buffers_bytes{${HOST}} 3`] },
  { prom: "node_memory_Cached_bytes", otel: "system.memory.usage", target: "host", points: [p(4, { "system.memory.state": "cached" })], lines: [`node_memory_Cached_bytes{${HOST}} 4`] },
  { prom: "node_memory_SReclaimable_bytes", otel: "system.memory.usage", target: "host", points: [p(5, { "system.memory.state": "slab_reclaimable" })], lines: [`node_memory_SReclaimable_bytes{${HOST}} 5`] },
  { prom: "node_memory_SwapTotal_bytes", otel: "system.paging.usage", target: "host", points: [p(10, { "system.paging.state": "used" }), p(30, { "system.paging.state": "free" })], lines: [`node_memory_SwapTotal_bytes{${HOST}} 40`] },
  { prom: "node_memory_SwapFree_bytes", otel: "system.paging.usage", target: "host", points: [p(10, { "system.paging.state": "used" }), p(30, { "system.paging.state": "free" })], lines: [`node_memory_SwapFree_bytes{${HOST}} 30`] },
  { prom: "node_filesystem_size_bytes", otel: "system.filesystem.limit", target: "host", points: [p(100, { "system.device": "/dev/sda1", "system.filesystem.type": "ext4", "system.filesystem.mountpoint": "/" })], lines: [`node_filesystem_size_bytes{${HOST},device="/dev/sda1",fstype="ext4",mountpoint="/"} 100`] },
  { prom: "node_filesystem_avail_bytes", otel: "system.filesystem.usage", target: "host", points: fsPoints(), lines: [`node_filesystem_avail_bytes{${HOST},device="/dev/sda1",fstype="ext4",mountpoint="/"} 30`] },
  { prom: "node_filesystem_free_bytes", otel: "system.filesystem.usage", target: "host", points: fsPoints(), lines: [`node_filesystem_free_bytes{${HOST},device="/dev/sda1",fstype="ext4",mountpoint="/"} 35`] },
  { prom: "node_disk_read_bytes_total", otel: "system.disk.io", target: "host", points: rw(), lines: [`node_disk_read_bytes_total{${HOST},device="sda"} 1`] },
  { prom: "node_disk_written_bytes_total", otel: "system.disk.io", target: "host", points: rw(), lines: [`node_disk_written_bytes_total{${HOST},device="sda"} 2`] },
  { prom: "node_disk_reads_completed_total", otel: "system.disk.operations", target: "host", points: rw(), lines: [`node_disk_reads_completed_total{${HOST},device="sda"} 1`] },
  { prom: "node_disk_writes_completed_total", otel: "system.disk.operations", target: "host", points: rw(), lines: [`node_disk_writes_completed_total{${HOST},device="sda"} 2`] },
  { prom: "node_disk_read_time_seconds_total", otel: "system.disk.operation_time", target: "host", points: rw(), lines: [`node_disk_read_time_seconds_total{${HOST},device="sda"} 1`] },
  { prom: "node_disk_write_time_seconds_total", otel: "system.disk.operation_time", target: "host", points: rw(), lines: [`node_disk_write_time_seconds_total{${HOST},device="sda"} 2`] },
  { prom: "node_disk_reads_merged_total", otel: "system.disk.merged", target: "host", points: rw(), lines: [`node_disk_reads_merged_total{${HOST},device="sda"} 1`] },
  { prom: "node_disk_writes_merged_total", otel: "system.disk.merged", target: "host", points: rw(), lines: [`node_disk_writes_merged_total{${HOST},device="sda"} 2`] },
  { prom: "node_disk_io_time_seconds_total", otel: "system.disk.io_time", target: "host", points: [p(7, { "system.device": "sda" })], lines: [`node_disk_io_time_seconds_total{${HOST},device="sda"} 7`] },
  { prom: "node_disk_io_time_weighted_seconds_total", otel: "system.disk.weighted_io_time", target: "host", points: [p(8, { "system.device": "sda" })], lines: [`node_disk_io_time_weighted_seconds_total{${HOST},device="sda"} 8`] },
  { prom: "node_disk_io_now", otel: "system.disk.pending_operations", target: "host", points: [p(2, { "system.device": "sda" })], lines: [`node_disk_io_now{${HOST},device="sda"} 2`] },
  { prom: "node_network_receive_bytes_total", otel: "system.network.io", target: "host", points: rt("network.interface.name"), lines: [`node_network_receive_bytes_total{${HOST},device="eth0"} 5`] },
  { prom: "node_network_transmit_bytes_total", otel: "system.network.io", target: "host", points: rt("network.interface.name"), lines: [`node_network_transmit_bytes_total{${HOST},device="eth0"} 6`] },
  { prom: "node_network_receive_packets_total", otel: "system.network.packet.count", target: "host", points: rt("system.device"), lines: [`node_network_receive_packets_total{${HOST},device="eth0"} 5`] },
  { prom: "node_network_transmit_packets_total", otel: "system.network.packet.count", target: "host", points: rt("system.device"), lines: [`node_network_transmit_packets_total{${HOST},device="eth0"} 6`] },
  { prom: "node_network_receive_errs_total", otel: "system.network.errors", target: "host", points: rt("network.interface.name"), lines: [`node_network_receive_errs_total{${HOST},device="eth0"} 5`] },
  { prom: "node_network_transmit_errs_total", otel: "system.network.errors", target: "host", points: rt("network.interface.name"), lines: [`node_network_transmit_errs_total{${HOST},device="eth0"} 6`] },
  { prom: "node_network_receive_drop_total", otel: "system.network.packet.dropped", target: "host", points: rt("network.interface.name"), lines: [`node_network_receive_drop_total{${HOST},device="eth0"} 5`] },
  { prom: "node_network_transmit_drop_total", otel: "system.network.packet.dropped", target: "host", points: rt("network.interface.name"), lines: [`node_network_transmit_drop_total{${HOST},device="eth0"} 6`] },
  { prom: "node_hwmon_temp_celsius", otel: "hw.temperature", target: "host", points: [p(41, { "hw.id": "coretemp_0_1", "hw.parent": "coretemp", "hw.name": "temp1" })], lines: [`node_hwmon_temp_celsius{${HOST},chip="coretemp",sensor="temp1"} 41`] },
  { prom: "node_boot_time_seconds", otel: "vigie.system.boot_time", target: "host", points: [p(1_700_000_000)], lines: [`node_boot_time_seconds{${HOST}} 1700000000`] },
  { prom: "container_cpu_usage_seconds_total", otel: "container.cpu.time", target: "container", points: [p(1.5, { "cpu.mode": "user" }), p(0.5, { "cpu.mode": "system" })], lines: [`container_cpu_usage_seconds_total{${CONTAINER}} 2`] },
  { prom: "container_cpu_usage_seconds_total", otel: "vigie.container.cpu.total_time", target: "container", points: [p(2.25)], lines: [`container_cpu_usage_seconds_total{${CONTAINER}} 2.25`] },
  { prom: "container_cpu_user_seconds_total", otel: "container.cpu.time", target: "container", points: [p(1.5, { "cpu.mode": "user" }), p(0.5, { "cpu.mode": "system" })], lines: [`container_cpu_user_seconds_total{${CONTAINER}} 1.5`] },
  { prom: "container_cpu_system_seconds_total", otel: "container.cpu.time", target: "container", points: [p(1.5, { "cpu.mode": "user" }), p(0.5, { "cpu.mode": "system" })], lines: [`container_cpu_system_seconds_total{${CONTAINER}} 0.5`] },
  { prom: "container_cpu_cfs_periods_total", otel: "vigie.container.cpu.periods", target: "container", points: [p(90)], lines: [`container_cpu_cfs_periods_total{${CONTAINER}} 90`] },
  { prom: "container_cpu_cfs_throttled_periods_total", otel: "vigie.container.cpu.throttled_periods", target: "container", points: [p(9)], lines: [`container_cpu_cfs_throttled_periods_total{${CONTAINER}} 9`] },
  { prom: "container_cpu_cfs_throttled_seconds_total", otel: "vigie.container.cpu.throttled_time", target: "container", points: [p(0.25)], lines: [`container_cpu_cfs_throttled_seconds_total{${CONTAINER}} 0.25`] },
  { prom: "container_memory_usage_bytes", otel: "container.memory.usage", target: "container", points: [p(1000)], lines: [`container_memory_usage_bytes{${CONTAINER}} 1000`] },
  { prom: "container_memory_working_set_bytes", otel: "container.memory.working_set", target: "container", points: [p(900)], lines: [`container_memory_working_set_bytes{${CONTAINER}} 900`] },
  { prom: "container_memory_rss", otel: "container.memory.rss", target: "container", points: [p(800)], lines: [`container_memory_rss{${CONTAINER}} 800`] },
  { prom: "container_memory_cache", otel: "vigie.container.memory.cache", target: "container", points: [p(100)], lines: [`container_memory_cache{${CONTAINER}} 100`] },
  { prom: "container_spec_memory_limit_bytes", otel: "vigie.container.memory.limit", target: "container", points: [p(4096)], lines: [`container_spec_memory_limit_bytes{${CONTAINER}} 4096`] },
  { prom: "container_oom_events_total", otel: "vigie.container.oom_kills", target: "container", points: [p(1)], lines: [`container_oom_events_total{${CONTAINER}} 1`] },
  { prom: "container_network_receive_bytes_total", otel: "container.network.io", target: "container", points: rt("network.interface.name"), lines: [`container_network_receive_bytes_total{${CONTAINER},interface="eth0"} 5`] },
  { prom: "container_network_transmit_bytes_total", otel: "container.network.io", target: "container", points: rt("network.interface.name"), lines: [`container_network_transmit_bytes_total{${CONTAINER},interface="eth0"} 6`] },
  { prom: "container_network_receive_packets_total", otel: "vigie.container.network.packet.count", target: "container", points: rt("network.interface.name"), lines: [`container_network_receive_packets_total{${CONTAINER},interface="eth0"} 5`] },
  { prom: "container_network_transmit_packets_total", otel: "vigie.container.network.packet.count", target: "container", points: rt("network.interface.name"), lines: [`container_network_transmit_packets_total{${CONTAINER},interface="eth0"} 6`] },
  { prom: "container_network_receive_errors_total", otel: "vigie.container.network.errors", target: "container", points: rt("network.interface.name"), lines: [`container_network_receive_errors_total{${CONTAINER},interface="eth0"} 5`] },
  { prom: "container_network_transmit_errors_total", otel: "vigie.container.network.errors", target: "container", points: rt("network.interface.name"), lines: [`container_network_transmit_errors_total{${CONTAINER},interface="eth0"} 6`] },
  { prom: "container_network_receive_packets_dropped_total", otel: "vigie.container.network.packet.dropped", target: "container", points: rt("network.interface.name"), lines: [`container_network_receive_packets_dropped_total{${CONTAINER},interface="eth0"} 5`] },
  { prom: "container_network_transmit_packets_dropped_total", otel: "vigie.container.network.packet.dropped", target: "container", points: rt("network.interface.name"), lines: [`container_network_transmit_packets_dropped_total{${CONTAINER},interface="eth0"} 6`] },
  { prom: "container_fs_reads_bytes_total", otel: "container.disk.io", target: "container", points: [...rw(), p(10, { "disk.io.direction": "read", "system.device": "sdb" })], lines: [`container_fs_reads_bytes_total{${CONTAINER}} 11`] },
  { prom: "container_fs_writes_bytes_total", otel: "container.disk.io", target: "container", points: rw(), lines: [`container_fs_writes_bytes_total{${CONTAINER}} 2`] },
  { prom: "container_fs_reads_total", otel: "vigie.container.disk.operations", target: "container", points: rw(), lines: [`container_fs_reads_total{${CONTAINER}} 1`] },
  { prom: "container_fs_writes_total", otel: "vigie.container.disk.operations", target: "container", points: rw(), lines: [`container_fs_writes_total{${CONTAINER}} 2`] },
  { prom: "container_processes", otel: "vigie.container.pids", target: "container", points: [p(12)], lines: [`container_processes{${CONTAINER}} 12`] },
  { prom: "container_start_time_seconds", otel: "vigie.container.start_time", target: "container", points: [p(1_699_999_000)], lines: [`container_start_time_seconds{${CONTAINER}} 1699999000`] },
  { prom: "vigie_container_restarts_total", otel: "vigie.container.restarts", target: "container", points: [p(3)], lines: [`vigie_container_restarts_total{${CONTAINER}} 3`] },
  { prom: "vigie_container_health_status", otel: "vigie.container.health", target: "container", points: [p(1, { "container.health.status": "healthy" })], lines: [`vigie_container_health_status{${CONTAINER},status="healthy"} 1`] },
  { prom: "vigie_container_state", otel: "vigie.container.state", target: "container", points: [p(1, { "container.state": "running" })], lines: [`vigie_container_state{${CONTAINER},state="running"} 1`] },
];

/** node_exporter's kernel families (the host rows added for dashboards): one case each, fields from their lists. */
const FS = { "system.device": "/dev/sda1", "system.filesystem.type": "ext4", "system.filesystem.mountpoint": "/" };
const FS_LABELS = 'device="/dev/sda1",fstype="ext4",mountpoint="/"';
const one = (prom: string, otel: string, points: Metric["points"], value: number, labels = ""): Case => ({
  prom, otel, target: "host", points, lines: [`${prom}{${HOST}${labels === "" ? "" : `,${labels}`}} ${value}`],
});
const field = (f: string) => [p(7, { "vigie.linux.field": f }), p(1, { "vigie.linux.field": "other" })];
CASES.push(
  one("node_time_seconds", "vigie.system.time", [p(1_800_000_000.5)], 1_800_000_000.5),
  one("node_context_switches_total", "vigie.system.context_switches", [p(9)], 9),
  one("node_intr_total", "vigie.system.interrupts", [p(8)], 8),
  one("node_forks_total", "system.process.created", [p(7)], 7),
  one("node_procs_running", "system.process.count", [p(3, { "process.state": "running" }), p(1, { "process.state": "blocked" })], 3),
  one("node_procs_blocked", "system.process.count", [p(3, { "process.state": "running" }), p(1, { "process.state": "blocked" })], 1),
  one("node_filefd_allocated", "vigie.system.file_descriptors.allocated", [p(877)], 877),
  one("node_filefd_maximum", "vigie.system.file_descriptors.limit", [p(1e6)], 1e6),
  one("node_entropy_available_bits", "vigie.system.entropy.available", [p(256)], 256),
  one("node_entropy_pool_size_bits", "vigie.system.entropy.pool_size", [p(256)], 256),
  one("node_nf_conntrack_entries", "vigie.system.conntrack.entries", [p(12)], 12),
  one("node_nf_conntrack_entries_limit", "vigie.system.conntrack.limit", [p(262144)], 262144),
  ...["cpu", "io", "memory"].flatMap((r) => [
    one(`node_pressure_${r}_waiting_seconds_total`, "vigie.system.pressure.stall_time", [p(2, { "vigie.pressure.resource": r, "vigie.pressure.scope": "some" }), p(1, { "vigie.pressure.resource": r, "vigie.pressure.scope": "full" })], 2),
    one(`node_pressure_${r}_stalled_seconds_total`, "vigie.system.pressure.stall_time", [p(2, { "vigie.pressure.resource": r, "vigie.pressure.scope": "some" }), p(1, { "vigie.pressure.resource": r, "vigie.pressure.scope": "full" })], 1),
  ]),
  one("node_network_up", "vigie.system.network.up", [p(1, { "network.interface.name": "eth0" })], 1, 'device="eth0"'),
  one("node_network_mtu_bytes", "vigie.system.network.mtu", [p(1500, { "network.interface.name": "eth0" })], 1500, 'device="eth0"'),
  one("node_filesystem_files", "system.filesystem.inodes.usage", [p(70, { ...FS, "system.filesystem.state": "used" }), p(30, { ...FS, "system.filesystem.state": "free" })], 100, FS_LABELS),
  one("node_filesystem_files_free", "system.filesystem.inodes.usage", [p(70, { ...FS, "system.filesystem.state": "used" }), p(30, { ...FS, "system.filesystem.state": "free" })], 30, FS_LABELS),
  one("node_filesystem_readonly", "vigie.system.filesystem.readonly", [p(1, FS)], 1, FS_LABELS),
  one("node_filesystem_device_error", "vigie.system.filesystem.error", [p(0, FS)], 0, FS_LABELS),
  ...MEMINFO_FIELDS.map(([f]) => one(`node_memory_${f}${f.startsWith("HugePages_") ? "" : "_bytes"}`, "vigie.system.memory.linux.field", field(f), 7)),
  ...VMSTAT_FIELDS.map((f) => one(`node_vmstat_${f}`, "vigie.system.vmstat", field(f), 7)),
  ...NETSTAT_FIELDS.map((f) => one(`node_netstat_${f}`, "vigie.system.netstat", field(f), 7)),
  ...SOCKSTAT_FIELDS.map((f) => one(`node_sockstat_${f}`, "vigie.system.sockstat", field(f), 7)),
);

function fsPoints(): Metric["points"] {
  const a = { "system.device": "/dev/sda1", "system.filesystem.type": "ext4", "system.filesystem.mountpoint": "/" };
  return [p(65, { ...a, "system.filesystem.state": "used" }), p(30, { ...a, "system.filesystem.state": "free" }), p(5, { ...a, "system.filesystem.state": "reserved" })];
}
function rw(): Metric["points"] {
  return [p(1, { "system.device": "sda", "disk.io.direction": "read" }), p(2, { "system.device": "sda", "disk.io.direction": "write" })];
}
function rt(key: string): Metric["points"] {
  return [p(5, { [key]: "eth0", "network.io.direction": "receive" }), p(6, { [key]: "eth0", "network.io.direction": "transmit" })];
}

function render(c: Pick<Case, "otel" | "target" | "points">, time = 1_700_000_000_000): string {
  const latest = new LatestMetrics();
  const metric: Metric = { name: c.otel, type: "gauge", unit: "1", points: c.points };
  const resources =
    c.target === "host"
      ? [{ resource: { "host.name": "web-1" }, metrics: [metric] }]
      : [{ resource: { "host.name": "web-1" }, metrics: [] }, { resource: CONTAINER_RESOURCE, metrics: [metric] }];
  latest.apply({ schema: "vigie.v1", kind: "metrics", node: { id: "n1", hostname: "web-1" }, agent: { version: "t", bootId: "b", seq: 1 }, time, payload: { resources } });
  return new ExpositionRenderer().render(latest.nodes());
}

function family(text: string, name: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
}

describe("exposition mapping (OTel wire names → node_exporter / cAdvisor names)", () => {
  it("has a case for every row of the table", () => {
    const covered = new Set(CASES.map((c) => `${c.otel}→${c.prom}`));
    const missing = MAPPING.filter((r) => !covered.has(`${r.otel}→${r.prom}`)).map((r) => `${r.otel}→${r.prom}`);
    expect(missing).toEqual([]);
  });

  for (const c of CASES) {
    it(`maps ${c.otel} to ${c.prom}`, () => {
      const text = render(c);
      expect(family(text, c.prom).sort()).toEqual([...c.lines].sort());
      const type = MAPPING.find((r) => r.prom === c.prom)?.type;
      expect(text).toContain(`# TYPE ${c.prom} ${type}\n`);
    });
  }

  it("refuses two rows that give one family different types", () => {
    expect(() => compileMapping([...MAPPING, { otel: "x", target: "host", prom: "node_load1", type: "counter", help: "x" }])).toThrow(/node_load1/);
  });

  it("names every computed family validly, once, apart from the mapped ones", () => {
    const mapped = new Set(MAPPING.map((r) => r.prom));
    const computed = Object.values(EXPOSITION_FAMILIES).map((f) => f.name);
    expect(computed.filter((n) => !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(n) || mapped.has(n))).toEqual([]);
    expect(new Set(computed).size).toBe(computed.length);
  });
});

describe("ExpositionRenderer", () => {
  it("gives container_last_seen as the container's sample time in seconds", () => {
    const text = render({ otel: "container.memory.usage", target: "container", points: [p(1)] }, 1_700_000_123_000);
    expect(family(text, "container_last_seen")).toEqual([`container_last_seen{${CONTAINER}} 1700000123`]);
  });

  it("writes HELP and TYPE once per family, with the series of all nodes grouped under it", () => {
    const latest = new LatestMetrics();
    for (const [id, host] of [["n1", "a"], ["n2", "b"]]) {
      latest.apply({
        schema: "vigie.v1", kind: "metrics", node: { id: id as string, hostname: host as string }, agent: { version: "t", bootId: "b", seq: 1 }, time: 1,
        payload: { resources: [{ resource: {}, metrics: [{ name: "system.cpu.load_average.1m", type: "gauge", unit: "{load}", points: [p(1)] }, { name: "system.memory.limit", type: "updowncounter", unit: "By", points: [p(2)] }] }] },
      });
    }
    const lines = new ExpositionRenderer().render(latest.nodes()).trim().split("\n");
    expect(lines.filter((l) => l === "# TYPE node_load1 gauge")).toHaveLength(1);
    const load = lines.findIndex((l) => l.startsWith("node_load1{"));
    expect(lines[load + 1]).toMatch(/^node_load1\{node="b"/);
  });

  it("removes the series of a container absent from the node's next message", () => {
    const latest = new LatestMetrics();
    const env = (seq: number, containers: string[]) => ({
      schema: "vigie.v1" as const, kind: "metrics" as const, node: { id: "n1", hostname: "h" }, agent: { version: "t", bootId: "b", seq }, time: seq * 1000,
      payload: { resources: containers.map((c) => ({ resource: { "container.id": c, "container.name": c }, metrics: [{ name: "container.memory.usage", type: "updowncounter" as const, unit: "By", points: [p(1)] }] })) },
    });
    const r = new ExpositionRenderer();
    latest.apply(env(1, ["a", "b"]));
    expect(family(r.render(latest.nodes()), "container_memory_usage_bytes")).toHaveLength(2);
    latest.apply(env(2, ["a"]));
    const after = family(r.render(latest.nodes()), "container_memory_usage_bytes");
    expect(after).toHaveLength(1);
    expect(after[0]).toContain('name="a"');
  });

  it("lets a container's total CPU time replace the user+system sum when both are sent", () => {
    const latest = new LatestMetrics();
    latest.apply({
      schema: "vigie.v1", kind: "metrics", node: { id: "n1", hostname: "web-1" }, agent: { version: "t", bootId: "b", seq: 1 }, time: 1,
      payload: { resources: [{ resource: CONTAINER_RESOURCE, metrics: [
        { name: "container.cpu.time", type: "counter", unit: "s", points: [p(1, { "cpu.mode": "user" }), p(1, { "cpu.mode": "system" })] },
        { name: "vigie.container.cpu.total_time", type: "counter", unit: "s", points: [p(2.5)] },
      ] }] },
    });
    expect(family(new ExpositionRenderer().render(latest.nodes()), "container_cpu_usage_seconds_total")).toEqual([`container_cpu_usage_seconds_total{${CONTAINER}} 2.5`]);
  });

  it("gives node_uname_info from the host facts, with uname's words", () => {
    const latest = new LatestMetrics();
    latest.apply({
      schema: "vigie.v1", kind: "metrics", node: { id: "n1", hostname: "web-1" }, agent: { version: "t", bootId: "b", seq: 1 }, time: 1,
      payload: { resources: [{ resource: { "host.name": "web-1", "os.type": "linux", "host.arch": "amd64", "os.version": "6.1.0-18-amd64" }, metrics: [] }] },
    });
    expect(family(new ExpositionRenderer().render(latest.nodes()), "node_uname_info")).toEqual([`node_uname_info{${HOST},machine="x86_64",nodename="web-1",release="6.1.0-18-amd64",sysname="Linux"} 1`]);
  });

  it("escapes label values and writes special floats the way Prometheus reads them", () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect([formatValue(NaN), formatValue(Infinity), formatValue(-Infinity), formatValue(1e-7)]).toEqual(["NaN", "+Inf", "-Inf", "1e-7"]);
  });
});

describe("ExpositionRenderer with resources that differ only by dropped attributes", () => {
  const twins = (order: string[]) => {
    const latest = new LatestMetrics();
    latest.apply({
      schema: "vigie.v1", kind: "metrics", node: { id: "n1", hostname: "h" }, agent: { version: "t", bootId: "b", seq: 1 }, time: 1000,
      payload: {
        // Two containers of one name and image: the container id is no label of the exposition.
        resources: order.map((id) => ({ resource: { "container.id": id, "container.name": "shop_web.1", "container.image.name": "shop/web" }, metrics: [{ name: "container.memory.usage", type: "updowncounter" as const, unit: "By", points: [p(id === "aaa" ? 1 : 2)] }] })),
      },
    });
    const renderer = new ExpositionRenderer();
    return { text: renderer.render(latest.nodes()), merged: renderer.lastMerged };
  };

  it("emits each name and label set once, keeping the same one whatever the message's order, and counts the rest", () => {
    const a = twins(["aaa", "bbb"]);
    const b = twins(["bbb", "aaa"]);
    const series = a.text.split("\n").filter((l) => l && !l.startsWith("#")).map((l) => l.slice(0, l.lastIndexOf(" ")));
    expect(new Set(series).size).toBe(series.length);
    expect(a.text).toBe(b.text);
    expect(family(a.text, "container_memory_usage_bytes")).toEqual(['container_memory_usage_bytes{node="h",node_id="n1",name="shop_web.1",image="shop/web"} 1']);
    // One memory series and one container_last_seen were left out.
    expect(a.merged).toBe(2);
  });
});
