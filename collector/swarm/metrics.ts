import { Gauge, type Registry } from "prom-client";
import type { SwarmView } from "./model.js";

/**
 * `vigie_swarm_*`: what neither node_exporter nor cAdvisor knows. Labels hold names (node
 * hostname, service, stack), never task or container ids.
 */
export function registerSwarmMetrics(registry: Registry, view: () => SwarmView | undefined): void {
  const r = [registry];
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>, v: SwarmView) => void) =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: r,
      collect() {
        this.reset();
        const v = view();
        if (v) fill(this, v);
      },
    });

  gauge("vigie_swarm_node_ready", "1 when the Swarm node's state is ready.", ["node", "node_id", "role"] as const, (g, v) => {
    for (const n of v.nodes) g.set({ node: n.hostname, node_id: n.id, role: n.role }, n.state === "ready" ? 1 : 0);
  });
  gauge("vigie_swarm_node_availability", "1 for the Swarm node's availability (active, pause, drain).", ["node", "availability"] as const, (g, v) => {
    for (const n of v.nodes) g.set({ node: n.hostname, availability: n.availability }, 1);
  });
  gauge("vigie_swarm_manager_reachable", "1 when the manager is reachable in the raft.", ["node"] as const, (g, v) => {
    for (const n of v.nodes) if (n.role === "manager") g.set({ node: n.hostname }, n.reachability === "reachable" ? 1 : 0);
  });
  gauge("vigie_swarm_manager_leader", "1 on the raft leader.", ["node"] as const, (g, v) => {
    for (const n of v.nodes) if (n.role === "manager") g.set({ node: n.hostname }, n.leader ? 1 : 0);
  });
  gauge("vigie_swarm_managers", "Managers in the swarm.", [] as const, (g, v) => g.set(v.managers.total));
  gauge("vigie_swarm_managers_reachable", "Managers reachable.", [] as const, (g, v) => g.set(v.managers.reachable));
  gauge("vigie_swarm_quorum_ok", "1 when a majority of managers is reachable.", [] as const, (g, v) => g.set(v.managers.quorumOk ? 1 : 0));

  const svc = (s: SwarmView["services"][number]) => ({ service: s.name, stack: s.stack ?? "" });
  gauge("vigie_swarm_service_replicas_desired", "Replicas the service should run.", ["service", "stack"] as const, (g, v) => {
    for (const s of v.services) g.set(svc(s), s.desired);
  });
  gauge("vigie_swarm_service_replicas_running", "Tasks running.", ["service", "stack"] as const, (g, v) => {
    for (const s of v.services) g.set(svc(s), s.running);
  });
  gauge("vigie_swarm_service_replicas_healthy", "Running tasks not reported unhealthy.", ["service", "stack"] as const, (g, v) => {
    for (const s of v.services) g.set(svc(s), s.healthy);
  });
  gauge("vigie_swarm_service_task_failures_recent", "Tasks failed or rejected within the crash-loop window.", ["service", "stack"] as const, (g, v) => {
    for (const s of v.services) g.set(svc(s), s.recentFailures);
  });
  gauge("vigie_swarm_service_crash_looping", "1 when the service's tasks keep failing.", ["service", "stack"] as const, (g, v) => {
    for (const s of v.services) g.set(svc(s), s.crashLooping ? 1 : 0);
  });
  gauge("vigie_swarm_service_update_state", "1 for the service's update state (updating, paused, rollback_completed, …).", ["service", "stack", "state"] as const, (g, v) => {
    for (const s of v.services) g.set({ ...svc(s), state: s.updateState }, 1);
  });
}
