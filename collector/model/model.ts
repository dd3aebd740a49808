import type { Envelope, EnvelopeOf, Kind } from "../../protocol/index.js";
import type { Logger } from "../../lib/index.js";
import type { ChecksState, CheckSource } from "../checks/state.js";
import { AbsenceTracker, nodeStatus, type AbsenceOptions, type NodeStatus, type StatusChange } from "../history/absence.js";
import type { LatestMetrics } from "../history/latest.js";
import type { MetricsHistory } from "../history/store.js";
import type { MessageAccounting, StateStore } from "../store/state-store.js";
import type { NodeState } from "../store/nodes.js";
import type { SwarmView } from "../swarm/model.js";
import type { SwarmSource } from "../swarm/routes.js";
import type { SwarmStatus } from "../swarm/watcher.js";
import { ChangeHub, type ChangeKind, type ChangeListener, type ChangeOf, type ModelChange } from "./changes.js";
import { builtinKinds, type ExtraHandlers, type KindHandler, type KindTable } from "./kinds.js";
import { containerViews, groupServices, taskViews, type ContainerView, type ServiceView, type TaskView } from "./services.js";

/** The stores the model owns. */
export interface ModelStores {
  /** Nodes and agent sequence numbers (SQLite). */
  state: StateStore;
  /** What every node last reported. */
  latest: LatestMetrics;
  /** Metrics at sample resolution (memory) and 1-minute rollups (disk). */
  history: MetricsHistory;
  /** Every status check's state. */
  checks: ChecksState;
}

export interface ModelOptions extends ModelStores {
  /** When a silent node is stale (3 of its intervals) and down (default 2 min). */
  absence?: AbsenceOptions;
  /** More stores for some kinds (the log store for `logs`), applied after the built-in ones. */
  handlers?: ExtraHandlers;
  log?: Logger;
}

/** A node with its status, as the API and the exposition show it. */
export interface NodeSummary {
  node: NodeState;
  status: NodeStatus;
  /** Its observed sampling interval (ms), once two metrics messages were seen. */
  intervalMs: number | undefined;
  /** Containers it last reported. */
  containers: number;
}

/** Picks some containers (a token's stacks, a query's node or service). */
export type ContainerFilter = (c: ContainerView) => boolean;

/** See `index.ts` for what the model is for and how to extend it. */
export class ClusterModel {
  readonly state: StateStore;
  readonly latest: LatestMetrics;
  readonly history: MetricsHistory;
  /** Status checks, read-only to consumers (the model feeds them from `status` messages). */
  readonly checks: CheckSource;
  /** The Swarm view from a manager, fed by `setSwarm` (undefined view elsewhere). */
  readonly swarm: SwarmSource;
  private readonly kinds: KindTable;
  private readonly extra: ExtraHandlers;
  private readonly absence: AbsenceOptions;
  private readonly hub: ChangeHub;
  private readonly tracker = new AbsenceTracker();
  private readonly swarmReading = new SwarmReading();

  constructor(options: ModelOptions) {
    this.state = options.state;
    this.latest = options.latest;
    this.history = options.history;
    this.checks = options.checks;
    this.kinds = builtinKinds(options);
    this.extra = options.handlers ?? {};
    this.absence = options.absence ?? {};
    this.hub = new ChangeHub(options.log);
    this.swarm = this.swarmReading;
  }

  /**
   * The one place a message goes after ingest: records it (a duplicate stops here, returning
   * false), applies it through the kind table, then announces what changed. Must be durable
   * before it returns: the message is acknowledged next.
   */
  apply(env: Envelope, receivedAt: number): boolean {
    let changes: readonly ModelChange[] = [];
    const outcome = this.state.accept(env, receivedAt, (prev) => {
      const { node, changes: made } = this.dispatch(env, prev, receivedAt);
      changes = made;
      return node;
    });
    if (!outcome.accepted) return false;
    // The node just spoke: if it was stale or down, say at once that it is back.
    const back = this.tracker.update([{ id: env.node.id, hostname: env.node.hostname, status: this.statusOf(outcome.node, receivedAt) }]);
    this.hub.publish(back.length > 0 ? [...changes, ...back.map(statusChange)] : changes);
    return true;
  }

  private dispatch<K extends Kind>(env: EnvelopeOf<K>, prev: NodeState | undefined, receivedAt: number): { node: NodeState; changes: readonly ModelChange[] } {
    const handler = this.kinds[env.kind] as KindHandler<K>;
    const node = handler.node(prev, env, receivedAt);
    const changes = handler.apply(env, receivedAt);
    const extra = this.extra[env.kind]?.(env, receivedAt);
    return { node, changes: extra ? [...changes, ...extra] : changes };
  }

  /**
   * Rebuilds the in-memory views from a metrics message read back from the stream after a restart
   * (already recorded, so not recorded again nor announced). `priming` messages, from just before
   * the history window, only give counters their previous reading.
   */
  replay(env: EnvelopeOf<"metrics">, priming: boolean): void {
    if (!priming) this.latest.apply(env);
    this.history.append(env, { primeOnly: priming });
  }

  /** Takes a new reading of the Swarm (from the watcher); announces it when it differs from the last. */
  setSwarm(status: SwarmStatus, view: SwarmView | undefined): void {
    // The reading's time changes every time; what it says is what counts.
    const s = this.swarmReading;
    const digest = view ? JSON.stringify({ ...view, time: 0 }) : "";
    const changed = digest !== s.digest || (view === undefined && status !== s.status);
    s.status = status;
    s.current = view;
    s.digest = digest;
    if (changed) this.hub.publish([{ kind: "swarm", status, view }]);
  }

  /**
   * Computes every node's status now and announces the changes (a node gone stale or down is
   * only noticed by looking: nothing arrives). Called by a periodic loop.
   */
  sweepNodeStatus(now: number): StatusChange[] {
    const changes = this.tracker.update(this.nodes(now).map((n) => ({ id: n.node.id, hostname: n.node.hostname, status: n.status })));
    this.hub.publish(changes.map(statusChange));
    return changes;
  }

  // --- subscriptions

  /** Every change (metrics, event, check, swarm, nodeStatus); returns the function that unsubscribes. */
  subscribe(listener: ChangeListener): () => void {
    return this.hub.subscribe(listener);
  }

  /** Changes of one kind; returns the function that unsubscribes. */
  on<K extends ChangeKind>(kind: K, listener: ChangeListener<ChangeOf<K>>): () => void {
    return this.hub.on(kind, listener);
  }

  /** Listener calls that threw or rejected. */
  get listenerErrors(): number {
    return this.hub.errors;
  }

  // --- queries

  /** A node's status (up, stale after 3 of its intervals, down after the configured silence); undefined for an unknown node. */
  nodeStatus(id: string, now: number): NodeStatus | undefined {
    const n = this.state.getNode(id);
    return n ? this.statusOf(n, now) : undefined;
  }

  /** Every node, by hostname, with its status. */
  nodes(now: number): NodeSummary[] {
    return this.state.listNodes().map((n) => this.summary(n, now));
  }

  /** One node by id or hostname. */
  node(idOrHostname: string, now: number): NodeSummary | undefined {
    const n = this.state.getNode(idOrHostname) ?? this.state.listNodes().find((x) => x.hostname === idOrHostname);
    return n ? this.summary(n, now) : undefined;
  }

  /** Messages received, seen twice and missing for a node. */
  accounting(nodeId: string): MessageAccounting {
    return this.state.accounting(nodeId);
  }

  /** Containers of every node as last reported, sorted by node and name. */
  containers(where?: ContainerFilter): ContainerView[] {
    const all = containerViews(this.latest, this.history);
    return where ? all.filter(where) : all;
  }

  /** Services (of the chosen containers): desired replicas from the Swarm view, running, healthy, CPU and memory. */
  services(where?: ContainerFilter): ServiceView[] {
    const view = this.swarmReading.current;
    return groupServices(this.containers(where), view ? (name) => view.services.find((s) => s.name === name)?.desired : undefined);
  }

  /** Swarm tasks (of the chosen containers), as seen through their containers. */
  tasks(where?: ContainerFilter): TaskView[] {
    return taskViews(this.containers(where));
  }

  /** Closes the stores, writing the rollups still pending. */
  close(now: number): void {
    this.history.maintain(now);
    this.history.flush();
    this.history.close();
    this.state.close();
  }

  private statusOf(n: NodeState, now: number): NodeStatus {
    return nodeStatus(n.lastSeen, now, this.latest.get(n.id)?.intervalMs, this.absence);
  }

  private summary(n: NodeState, now: number): NodeSummary {
    const latest = this.latest.get(n.id);
    return { node: n, status: nodeStatus(n.lastSeen, now, latest?.intervalMs, this.absence), intervalMs: latest?.intervalMs, containers: latest?.containers.size ?? 0 };
  }
}

/** The latest reading of the Swarm and its digest (what it says, without its time). */
class SwarmReading implements SwarmSource {
  status: SwarmStatus = "starting";
  current: SwarmView | undefined;
  digest = "";

  view(): SwarmView | undefined {
    return this.current;
  }
}

function statusChange(c: StatusChange): ModelChange {
  return { kind: "nodeStatus", nodeId: c.nodeId, hostname: c.hostname, from: c.from, to: c.to };
}
