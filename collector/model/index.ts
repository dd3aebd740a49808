/**
 * The collector's model of the cluster: the hub every message goes through after ingest, and the
 * one place the API, the exposition, the alert engine and the autoscaler read from.
 *
 * What it owns — the stores, each kept by one capability and reached through the model:
 * - `state` (`store/state-store.ts`): every node (identity, last heard from, host CPU and memory)
 *   and every agent boot's message numbers, in SQLite; a redelivered message is a duplicate here.
 * - `latest` (`history/latest.ts`): each node's latest metrics, what lists and `/metrics` show.
 * - `history` (`history/store.ts`): samples over the window in memory, 1-minute rollups on disk.
 * - `checks` (`checks/state.ts`): every status check's state after thresholds and recent runs.
 * - `swarm`: the latest reading of the Swarm from a manager (nodes, services, tasks, quorum),
 *   pushed in by the watcher (`swarm/watcher.ts`, the Docker edge) through `setSwarm`.
 *
 * Data flow: ingest hands each decoded message to `apply(env, receivedAt)`. The state store
 * records its sequence number and, in the same transaction, the kind table (`kinds.ts`, one entry
 * per kind: `metrics`, `status`, `events`, `logs`) gives the node's new state and applies the
 * message to the stores of that kind, then to any extra handler given at construction (the log
 * store plugs in there for `logs`). Only then are the changes announced to subscribers. Nothing
 * else dispatches on a message's kind.
 *
 * What it answers, computed here and nowhere else:
 * - a node's status (`nodeStatus`, `nodes`, `node`): up, stale after 3 of its own intervals of
 *   silence, down after the configured delay (`history/absence.ts` holds the pure rule);
 * - containers, services (desired replicas from the Swarm view, running, healthy, CPU in cores,
 *   memory) and tasks (`services.ts`), filtered by a predicate (a token's stacks, a query);
 * - whether a resource is a host or a container (`resources.ts`: `resourceKind`);
 * - the checks (`checks`) and the Swarm view (`swarm`); series through `history`.
 *
 * What it announces (`subscribe`, or `on(kind, …)`; both return the unsubscribe function):
 * `metrics` (a node's metrics were applied), `event` (one per container/agent event: die, oom,
 * health_status…), `check` (a check's state changed), `swarm` (the Swarm view changed),
 * `nodeStatus` (a node went stale or down, or is back). Listeners run synchronously after the
 * message is stored; one that throws or rejects is logged and counted, never stops ingest.
 *
 * Adding a kind of message: add it to `KINDS` and the envelope in `protocol/`, then one entry in
 * `builtinKinds` (the compiler refuses a table without it) — or, for a store built elsewhere,
 * pass it as an extra handler to `openModel`. Adding a change kind: a member of `ModelChange`,
 * returned by the handler that notices it. Adding a query: a method here, reading the stores.
 */
import path from "node:path";
import type { Logger } from "../../lib/index.js";
import { ChecksState, type ChecksStateOptions } from "../checks/state.js";
import type { AbsenceOptions } from "../history/absence.js";
import { LatestMetrics } from "../history/latest.js";
import { MetricsHistory, type HistoryOptions } from "../history/store.js";
import { StateStore } from "../store/state-store.js";
import { ClusterModel } from "./model.js";
import type { ExtraHandlers } from "./kinds.js";

export { ClusterModel, type ContainerFilter, type ModelOptions, type ModelStores, type NodeSummary } from "./model.js";
export type { ChangeKind, ChangeListener, ChangeOf, ModelChange, NodeRef } from "./changes.js";
export type { ExtraHandlers, KindHandler, KindTable } from "./kinds.js";
export { resourceKind, containerKey, type ResourceKind } from "./resources.js";
export type { ContainerView, ServiceView, TaskView } from "./services.js";

export interface OpenModelOptions {
  /** Stores under `<dataDir>/collector/`; undefined keeps everything in memory (tests). */
  dataDir?: string;
  /** Raw window (default 1 h), rollup retention (default 7 d), series bound. */
  history?: HistoryOptions;
  /** When a silent node is stale and down. */
  absence?: AbsenceOptions;
  /** Results kept per check (default 20), missed intervals before a check is stale (default 3). */
  checks?: ChecksStateOptions;
  /** More stores for some kinds (the log store for `logs`). */
  handlers?: ExtraHandlers;
  log?: Logger;
  now: () => number;
}

/** Opens the model's stores (creating their files) and the model over them. */
export function openModel(options: OpenModelOptions): ClusterModel {
  const file = (name: string) => (options.dataDir === undefined ? ":memory:" : path.join(options.dataDir, "collector", name));
  const state = new StateStore(file("state.db"));
  let history: MetricsHistory;
  try {
    history = new MetricsHistory(file("history.db"), { ...options.history, now: options.now });
  } catch (err) {
    state.close();
    throw err;
  }
  return new ClusterModel({
    state,
    history,
    latest: new LatestMetrics({ defaultIntervalMs: options.absence?.defaultIntervalMs }),
    checks: new ChecksState(options.checks),
    absence: options.absence,
    handlers: options.handlers,
    log: options.log,
  });
}
