import { Gauge, type Registry } from "prom-client";
import { EXPOSITION_FAMILIES as F } from "../../protocol/index.js";
import type { SwarmView } from "./model.js";

/**
 * `vigie_swarm_*`: what neither node_exporter nor cAdvisor knows. Labels hold names (node
 * hostname, service, stack), never task or container ids.
 */
export function registerSwarmMetrics(registry: Registry, view: () => SwarmView | undefined): void {
  const r = [registry];
  const gauge = <L extends string>({ name, help, labels }: { name: string; help: string; labels: readonly L[] }, fill: (g: Gauge<L>, v: SwarmView) => void) =>
    new Gauge<L>({
      name,
      help,
      labelNames: labels,
      registers: r,
      collect() {
        this.reset();
        const v = view();
        if (v) fill(this, v);
      },
    });

  gauge(F.swarmNodeReady, (g, v) => {
    for (const n of v.nodes) g.set({ node: n.hostname, node_id: n.id, role: n.role }, n.state === "ready" ? 1 : 0);
  });
  gauge(F.swarmNodeAvailability, (g, v) => {
    for (const n of v.nodes) g.set({ node: n.hostname, availability: n.availability }, 1);
  });
  gauge(F.swarmManagerReachable, (g, v) => {
    for (const n of v.nodes) if (n.role === "manager") g.set({ node: n.hostname }, n.reachability === "reachable" ? 1 : 0);
  });
  gauge(F.swarmManagerLeader, (g, v) => {
    for (const n of v.nodes) if (n.role === "manager") g.set({ node: n.hostname }, n.leader ? 1 : 0);
  });
  gauge(F.swarmManagers, (g, v) => g.set(v.managers.total));
  gauge(F.swarmManagersReachable, (g, v) => g.set(v.managers.reachable));
  gauge(F.swarmQuorumOk, (g, v) => g.set(v.managers.quorumOk ? 1 : 0));

  const svc = (s: SwarmView["services"][number]) => ({ service: s.name, stack: s.stack ?? "" });
  gauge(F.swarmServiceReplicasDesired, (g, v) => {
    for (const s of v.services) g.set(svc(s), s.desired);
  });
  gauge(F.swarmServiceReplicasRunning, (g, v) => {
    for (const s of v.services) g.set(svc(s), s.running);
  });
  gauge(F.swarmServiceReplicasHealthy, (g, v) => {
    for (const s of v.services) g.set(svc(s), s.healthy);
  });
  gauge(F.swarmServiceTaskFailuresRecent, (g, v) => {
    for (const s of v.services) g.set(svc(s), s.recentFailures);
  });
  gauge(F.swarmServiceCrashLooping, (g, v) => {
    for (const s of v.services) g.set(svc(s), s.crashLooping ? 1 : 0);
  });
  gauge(F.swarmServiceUpdateState, (g, v) => {
    for (const s of v.services) g.set({ ...svc(s), state: s.updateState }, 1);
  });
}
