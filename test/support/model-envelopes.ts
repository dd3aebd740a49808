import type { CheckResult, Envelope, EnvelopeOf, Event, ResourceMetrics } from "../../protocol/index.js";

/** Small envelopes for the collector model's unit tests: one node, numbered messages. */
export const T0 = 1_800_000_000_000;

let seq = 0;
const header = (node: string, time: number) => ({
  schema: "vigie.v1" as const,
  node: { id: node, hostname: `${node}-host` },
  agent: { version: "0.1.0", bootId: "boot", seq: ++seq },
  time,
});

/** A container resource of stack `shop`, service `web`, with CPU, working set and state. */
export function container(name: string, cpuSeconds: number, extra: { state?: string; health?: string; service?: string } = {}): ResourceMetrics {
  const service = extra.service ?? "web";
  return {
    resource: { "container.id": `id-${name}`, "container.name": name, "service.name": service, "service.namespace": "shop", "docker.swarm.service.name": `shop_${service}` },
    metrics: [
      { name: "container.cpu.time", type: "counter", unit: "s", points: [{ attributes: { "cpu.mode": "user" }, value: cpuSeconds }] },
      { name: "container.memory.working_set", type: "updowncounter", unit: "By", points: [{ value: 1000 }] },
      { name: "vigie.container.state", type: "gauge", unit: "1", points: [{ attributes: { "container.state": extra.state ?? "running" }, value: 1 }] },
      ...(extra.health ? [{ name: "vigie.container.health", type: "gauge" as const, unit: "1", points: [{ attributes: { "container.health.status": extra.health }, value: 1 }] }] : []),
    ],
  };
}

export function metricsEnv(node: string, time: number, resources: ResourceMetrics[] = []): EnvelopeOf<"metrics"> {
  const host: ResourceMetrics = { resource: { "host.name": `${node}-host` }, metrics: [{ name: "system.memory.limit", type: "updowncounter", unit: "By", points: [{ value: 8e9 }] }] };
  return { ...header(node, time), kind: "metrics", payload: { resources: [host, ...resources], containersComplete: true } };
}

export function eventsEnv(node: string, time: number, events: Omit<Event, "timeUnixNano">[]): EnvelopeOf<"events"> {
  return { ...header(node, time), kind: "events", payload: { events: events.map((e) => ({ timeUnixNano: `${time}000000`, ...e })) } };
}

export function checkResult(id: string, time: number, extra: Partial<CheckResult> = {}): CheckResult {
  return {
    check: { id, name: id.split("/")[1] ?? id, type: "http", intervalSeconds: 10 },
    target: { url: "http://127.0.0.1:8080/health", method: "GET" },
    resource: { "service.name": "web", "service.namespace": "shop" },
    time,
    up: true,
    status: "pass",
    state: "up",
    stateSince: time,
    durationSeconds: 0.01,
    ...extra,
  };
}

export function statusEnv(node: string, time: number, results: CheckResult[]): EnvelopeOf<"status"> {
  return { ...header(node, time), kind: "status", payload: { results } };
}

export function logsEnv(node: string, time: number, body: string): EnvelopeOf<"logs"> {
  return { ...header(node, time), kind: "logs", payload: { records: [{ timeUnixNano: `${time}000000`, severityNumber: 9, body, resource: {} }] } };
}

/** The same message again (a JetStream redelivery). */
export function again<E extends Envelope>(env: E): E {
  return structuredClone(env);
}
