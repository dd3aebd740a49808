import { exposed } from "./exposition-names.js";

/** The level a signal's series describe; each has its identity labels. */
export type Scope = "node" | "container" | "service" | "check" | "cluster";

export const SCOPE_LABELS: Readonly<Record<Scope, readonly string[]>> = {
  node: ["node"],
  container: ["node", "container", "service", "stack"],
  service: ["service", "stack"],
  check: ["check", "service", "node"],
  cluster: [],
};

export interface Signal {
  scope: Scope;
  /** Gauge (a level) or counter (cumulative; read with rate or increase). */
  kind: "gauge" | "counter";
  unit: string;
  help: string;
  /**
   * The same series in PromQL over the collector's exposition, with the alert's label names
   * (`node`, `container`, `service`, `stack`, `check`, `mountpoint`). `selector` is true when the
   * expression is a plain selector, so a range can be taken of it without a subquery.
   */
  promql: string;
  selector?: boolean;
  /** Applied around the aggregated expression (renames labels, keeps only the identity labels). */
  wrap?: (expr: string) => string;
}

const name = exposed;
/** cAdvisor's label spellings renamed to the alert's. */
const containerLabels = (expr: string) =>
  `max by (node, container, service, stack) (label_replace(label_replace(label_replace(${expr}, "container", "$1", "name", "(.*)"), "service", "$1", "container_label_com_docker_swarm_service_name", "(.*)"), "stack", "$1", "container_label_com_docker_stack_namespace", "(.*)"))`;

/**
 * Every signal a rule may name: one row each, the engine's meaning and the exporter's PromQL side
 * by side so that both say the same thing. A new signal is a new row here plus its series in the
 * collector's adapter to `AlertSource`.
 *
 * Names not in the exposition table (`vigie_swarm_*`, `vigie_node_status`, `probe_*`,
 * `vigie_log_records_total`) are the collector's own families, written where they are exposed.
 */
export const SIGNALS = {
  node_reporting: {
    scope: "node", kind: "gauge", unit: "1",
    help: "1 while the node's agent reports, 0 once it is stale (3 missed intervals) or down. Every node ever seen has a series.",
    promql: 'max by (node) (vigie_node_status{status="up"})',
  },
  node_cpu_utilization: {
    scope: "node", kind: "gauge", unit: "percent",
    help: "Share of the node's CPU time not idle, 0–100.",
    promql: `100 * (1 - avg by (node) (rate(${name("node_cpu_seconds_total")}{mode="idle"}[1m])))`,
  },
  node_memory_utilization: {
    scope: "node", kind: "gauge", unit: "percent",
    help: "Memory in use (total − available) over total, 0–100.",
    promql: `100 * (1 - max by (node) (${name("node_memory_MemAvailable_bytes")}) / max by (node) (${name("node_memory_MemTotal_bytes")}))`,
  },
  node_filesystem_utilization: {
    scope: "node", kind: "gauge", unit: "percent",
    help: "Space used on a filesystem (size − available) over its size, 0–100; label mountpoint.",
    promql: `100 * (1 - max by (node, mountpoint) (${name("node_filesystem_avail_bytes")}) / max by (node, mountpoint) (${name("node_filesystem_size_bytes")}))`,
  },
  node_filesystem_avail_bytes: {
    scope: "node", kind: "gauge", unit: "bytes",
    help: "Space available to non-root users on a filesystem; label mountpoint. With predict_linear: the space expected later.",
    promql: name("node_filesystem_avail_bytes"), selector: true, wrap: (e) => `max by (node, mountpoint) (${e})`,
  },
  container_restarts: {
    scope: "container", kind: "counter", unit: "1",
    help: "Times the engine restarted the container (cumulative).",
    promql: name("vigie_container_restarts_total"), selector: true, wrap: containerLabels,
  },
  container_oom_kills: {
    scope: "container", kind: "counter", unit: "1",
    help: "Out-of-memory kills in the container (cumulative).",
    promql: name("container_oom_events_total"), selector: true, wrap: containerLabels,
  },
  container_unhealthy: {
    scope: "container", kind: "gauge", unit: "1",
    help: "1 while the container's health check says unhealthy, else 0.",
    promql: `${name("vigie_container_health_status")}{status="unhealthy"}`, selector: true, wrap: containerLabels,
  },
  service_replicas_missing: {
    scope: "service", kind: "gauge", unit: "1",
    help: "Desired replicas minus running ones (0 when the service runs what it should).",
    promql: "vigie_swarm_service_replicas_desired - vigie_swarm_service_replicas_running",
  },
  service_update_stuck: {
    scope: "service", kind: "gauge", unit: "1",
    help: "1 while the service's rolling update is paused or rolled back (Swarm UpdateStatus.State paused, rollback_started, rollback_paused, rollback_completed).",
    promql: 'max by (service, stack) (vigie_swarm_service_update_state{state=~"paused|rollback_started|rollback_paused|rollback_completed"})',
  },
  cluster_manager_quorum_margin: {
    scope: "cluster", kind: "gauge", unit: "1",
    help: "Reachable managers minus the raft quorum (⌊managers/2⌋+1): 0 means losing one more manager loses the quorum, below 0 it is lost. No series with a single manager (it has no margin by design).",
    promql: "(vigie_swarm_managers_reachable - (floor(vigie_swarm_managers / 2) + 1)) and on() (vigie_swarm_managers > 1)",
  },
  check_success: {
    scope: "check", kind: "gauge", unit: "1",
    help: "1 when the status check's last run succeeded, 0 when it failed.",
    promql: "probe_success", selector: true, wrap: (e) => `max by (check, service, node) (${e})`,
  },
  check_certificate_expiry: {
    scope: "check", kind: "gauge", unit: "seconds",
    help: "Seconds until the server certificate seen by the status check expires.",
    promql: "probe_ssl_earliest_cert_expiry - time()",
  },
  log_error_rate: {
    scope: "service", kind: "gauge", unit: "records/s",
    help: "Log records per second at severity ERROR or above (OTel severityNumber ≥ 17) per service.",
    promql: 'sum by (service, stack) (rate(vigie_log_records_total{severity=~"ERROR|FATAL"}[1m]))',
  },
} as const satisfies Record<string, Signal>;

export type SignalName = keyof typeof SIGNALS;
export const SIGNAL_NAMES = Object.keys(SIGNALS) as SignalName[];

export function signal(name: SignalName): Signal {
  return SIGNALS[name];
}
