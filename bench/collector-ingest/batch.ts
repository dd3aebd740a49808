import type { Envelope, Metric, ResourceMetrics } from "../../protocol/index.js";

/**
 * A realistic metrics message of one node: the host (2 cores, 2 filesystems, 1 disk, 1
 * interface) and `containers` Swarm task containers with every metric the agent sends.
 */
export function nodeBatch(node: number, containers: number, seq: number, time: number): Envelope {
  const host = `node-${node}`;
  const g = (name: string, value: number, attributes?: Record<string, string | number>): Metric => ({ name, type: "gauge", unit: "1", points: [{ value, attributes }] });
  const c = (name: string, points: Metric["points"]): Metric => ({ name, type: "counter", unit: "s", points });
  const u = (name: string, points: Metric["points"]): Metric => ({ name, type: "updowncounter", unit: "By", points });
  const t = seq * 10;
  const cpuPoints = [];
  for (let cpu = 0; cpu < 2; cpu++) {
    for (const [i, mode] of ["user", "nice", "system", "idle", "iowait", "interrupt", "softirq", "steal"].entries()) cpuPoints.push({ attributes: { "cpu.mode": mode, "cpu.logical_number": cpu }, value: t * (i === 3 ? 8 : 0.1 * (i + 1)) });
  }
  const fs = (dev: string, mp: string) => ({ "system.device": dev, "system.filesystem.type": "ext4", "system.filesystem.mountpoint": mp, "system.filesystem.mode": "rw" });
  const rw = (dev: string, r: number, w: number) => [{ attributes: { "system.device": dev, "disk.io.direction": "read" }, value: r }, { attributes: { "system.device": dev, "disk.io.direction": "write" }, value: w }];
  const rt = (iface: string, r: number, x: number) => [{ attributes: { "network.interface.name": iface, "network.io.direction": "receive" }, value: r }, { attributes: { "network.interface.name": iface, "network.io.direction": "transmit" }, value: x }];
  const hostMetrics: Metric[] = [
    c("system.cpu.time", cpuPoints),
    g("system.cpu.load_average.1m", 0.5), g("system.cpu.load_average.5m", 0.4), g("system.cpu.load_average.15m", 0.3),
    u("system.memory.usage", ["used", "free", "buffers", "cached", "slab_reclaimable"].map((s, i) => ({ attributes: { "system.memory.state": s }, value: 1e9 * (i + 1) }))),
    u("system.memory.limit", [{ value: 16e9 }]), u("system.memory.linux.available", [{ value: 8e9 }]),
    u("system.paging.usage", [{ attributes: { "system.paging.state": "used" }, value: 1e8 }, { attributes: { "system.paging.state": "free" }, value: 1e9 }]),
    u("system.filesystem.usage", [fs("/dev/sda1", "/"), fs("/dev/sdb1", "/var/lib/docker")].flatMap((a) => ["used", "free", "reserved"].map((s) => ({ attributes: { ...a, "system.filesystem.state": s }, value: 1e10 })))),
    u("system.filesystem.limit", [{ attributes: fs("/dev/sda1", "/"), value: 3e10 }, { attributes: fs("/dev/sdb1", "/var/lib/docker"), value: 3e10 }]),
    c("system.disk.io", rw("sda", t * 1e5, t * 2e5)), c("system.disk.operations", rw("sda", t * 10, t * 20)), c("system.disk.operation_time", rw("sda", t * 0.01, t * 0.02)),
    c("system.disk.merged", rw("sda", t, t)), c("system.disk.io_time", [{ attributes: { "system.device": "sda" }, value: t * 0.05 }]),
    c("system.network.io", rt("eth0", t * 1e6, t * 5e5)), c("system.network.packet.count", rt("eth0", t * 1e3, t * 8e2)),
    c("system.network.errors", rt("eth0", 0, 0)), c("system.network.packet.dropped", rt("eth0", 0, 0)),
    g("system.uptime", 86_400 + t), g("vigie.system.boot_time", 1_700_000_000),
  ];
  const resources: ResourceMetrics[] = [{ resource: { "host.name": host, "node.id": `n${node}` }, metrics: hostMetrics }];
  for (let i = 0; i < containers; i++) {
    const svc = `svc${i % 10}`;
    const slot = Math.floor(i / 10) + 1;
    resources.push({
      resource: {
        "container.id": `${node.toString(16).padStart(8, "0")}${i.toString(16).padStart(56, "0")}`,
        "container.name": `shop_${svc}.${slot}.task${node}x${i}`,
        "container.image.name": `shop/${svc}:1.0`,
        "service.name": svc, "service.namespace": "shop", "docker.swarm.service.name": `shop_${svc}`, "docker.swarm.task.slot": slot,
      },
      metrics: [
        c("container.cpu.time", [{ attributes: { "cpu.mode": "user" }, value: t * 0.2 }, { attributes: { "cpu.mode": "system" }, value: t * 0.05 }]),
        c("vigie.container.cpu.total_time", [{ value: t * 0.25 }]),
        c("vigie.container.cpu.periods", [{ value: t * 10 }]), c("vigie.container.cpu.throttled_periods", [{ value: 0 }]), c("vigie.container.cpu.throttled_time", [{ value: 0 }]),
        u("container.memory.usage", [{ value: 2e8 }]), u("container.memory.working_set", [{ value: 1.5e8 }]), u("vigie.container.memory.limit", [{ value: 5e8 }]),
        u("vigie.container.memory.cache", [{ value: 5e7 }]), u("container.memory.rss", [{ value: 1e8 }]), c("vigie.container.oom_kills", [{ value: 0 }]),
        c("container.network.io", rt("eth0", t * 1e4, t * 2e4)), c("vigie.container.network.packet.count", rt("eth0", t * 10, t * 20)),
        c("vigie.container.network.errors", rt("eth0", 0, 0)), c("vigie.container.network.packet.dropped", rt("eth0", 0, 0)),
        c("container.disk.io", rw("sda", t * 1e3, t * 2e3)), c("vigie.container.disk.operations", rw("sda", t, t)),
        u("vigie.container.pids", [{ value: 12 }]), c("vigie.container.restarts", [{ value: 0 }]),
        g("vigie.container.state", 1, { "container.state": "running" }), g("vigie.container.health", 1, { "container.health.status": "healthy" }),
        g("vigie.container.start_time", 1_700_000_000),
      ],
    });
  }
  return { schema: "vigie.v1", kind: "metrics", node: { id: `n${node}`, hostname: host }, agent: { version: "bench", bootId: `boot-${node}`, seq }, time, payload: { resources } };
}

export function pointsOf(env: Envelope): number {
  if (env.kind !== "metrics") return 0;
  return env.payload.resources.reduce((n, r) => n + r.metrics.reduce((m, x) => m + x.points.length, 0), 0);
}
