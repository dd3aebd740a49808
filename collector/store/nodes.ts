import { ATTR, METRIC, type Envelope, type EnvelopeOf } from "../../protocol/index.js";
import { resourceKind } from "../model/resources.js";

/** What the collector knows of one node now. */
export interface NodeState {
  id: string;
  hostname: string;
  agentVersion: string;
  bootId: string;
  /** When its last message was sampled (Unix ms) and received. */
  lastSampleTime: number;
  lastSeen: number;
  cpu?: { cores: number; utilization?: number };
  memory?: { totalBytes: number; availableBytes?: number; usedBytes?: number; utilization?: number };
  /** Previous cumulative CPU seconds (total, idle), to turn counters into a utilization. */
  cpuCounters?: { time: number; total: number; idle: number };
}

/** A node heard from by a message that carries no host metrics (status, events, logs). */
export function heardFrom(prev: NodeState | undefined, env: Envelope, receivedAt: number): NodeState {
  return { ...(prev ?? { id: env.node.id, lastSampleTime: 0, agentVersion: env.agent.version }), hostname: env.node.hostname, bootId: env.agent.bootId, lastSeen: receivedAt };
}

/**
 * Applies one metrics envelope to a node's state (pure: returns a new state). Counters arrive
 * cumulative; utilization is the change of idle time over the change of total time, and is
 * left unknown across a counter reset (reboot) or an out-of-order message.
 */
export function applyMetrics(prev: NodeState | undefined, env: EnvelopeOf<"metrics">, receivedAt: number): NodeState {
  const next: NodeState = {
    ...(prev ?? { id: env.node.id, lastSampleTime: 0 }),
    id: env.node.id,
    hostname: env.node.hostname,
    agentVersion: env.agent.version,
    bootId: env.agent.bootId,
    lastSeen: receivedAt,
  };
  // Ordering holds within one agent boot: a new boot (its clock set right, say) starts afresh.
  const stale = prev !== undefined && prev.bootId === env.agent.bootId && env.time <= prev.lastSampleTime;
  if (!stale) next.lastSampleTime = env.time;

  const host = env.payload.resources.find((r) => resourceKind(r.resource) === "host");
  if (!host || stale) return next;

  let total = 0;
  let idle = 0;
  const cores = new Set<unknown>();
  let haveCpu = false;
  let memTotal: number | undefined;
  let memAvailable: number | undefined;
  for (const m of host.metrics) {
    if (m.name === METRIC.cpuTime) {
      haveCpu = true;
      for (const p of m.points) {
        total += p.value;
        if (p.attributes?.[ATTR.cpuMode] === "idle") idle += p.value;
        cores.add(p.attributes?.[ATTR.cpuLogicalNumber]);
      }
    } else if (m.name === METRIC.memoryLimit) {
      memTotal = m.points[0]?.value;
    } else if (m.name === METRIC.memoryAvailable) {
      memAvailable = m.points[0]?.value;
    }
  }
  if (haveCpu) {
    const before = prev?.cpuCounters;
    let utilization: number | undefined;
    if (before && env.time > before.time && total > before.total && idle >= before.idle) {
      utilization = clamp01(1 - (idle - before.idle) / (total - before.total));
    }
    next.cpu = { cores: cores.size, utilization };
    next.cpuCounters = { time: env.time, total, idle };
  }
  if (memTotal !== undefined) {
    const used = memAvailable !== undefined ? memTotal - memAvailable : undefined;
    next.memory = {
      totalBytes: memTotal,
      availableBytes: memAvailable,
      usedBytes: used,
      utilization: used !== undefined && memTotal > 0 ? clamp01(used / memTotal) : undefined,
    };
  }
  return next;
}

function clamp01(x: number): number {
  return Math.min(1, Math.max(0, x));
}
