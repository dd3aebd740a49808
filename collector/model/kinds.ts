import type { EnvelopeOf, Kind } from "../../protocol/index.js";
import type { ChecksState } from "../checks/state.js";
import type { LatestMetrics } from "../history/latest.js";
import type { MetricsHistory } from "../history/store.js";
import { applyMetrics, heardFrom, type NodeState } from "../store/nodes.js";
import type { ModelChange } from "./changes.js";

/**
 * How one kind of message is applied. Both steps run inside the state store's transaction, after
 * the message was found fresh (not a duplicate): a throw leaves it unrecorded, and JetStream
 * redelivers it.
 */
export interface KindHandler<K extends Kind> {
  /** The node's state after this message (pure). */
  node(prev: NodeState | undefined, env: EnvelopeOf<K>, receivedAt: number): NodeState;
  /** Applies the message to the stores that keep this kind; returns what changed, for subscribers. */
  apply(env: EnvelopeOf<K>, receivedAt: number): readonly ModelChange[];
}

/** The one dispatch table: every kind on the wire has exactly one entry. */
export type KindTable = { readonly [K in Kind]: KindHandler<K> };

/**
 * More stores for a kind, given when the model is made (the log store takes `logs`): each runs
 * after the kind's own handler, in the same transaction, and may announce changes too.
 */
export type ExtraHandlers = { readonly [K in Kind]?: (env: EnvelopeOf<K>, receivedAt: number) => readonly ModelChange[] | void };

/** The stores the built-in handlers write to. */
export interface KindStores {
  latest: LatestMetrics;
  history: MetricsHistory;
  checks: ChecksState;
}

const NONE: readonly ModelChange[] = [];

/** The built-in table: metrics feed the node state, latest values and history; status the checks; events are announced. */
export function builtinKinds(stores: KindStores): KindTable {
  return {
    metrics: {
      node: applyMetrics,
      apply(env) {
        stores.latest.apply(env);
        stores.history.append(env);
        return [{ kind: "metrics", nodeId: env.node.id, hostname: env.node.hostname, time: env.time }];
      },
    },
    status: {
      node: heardFrom,
      apply(env, receivedAt) {
        return stores.checks.apply(env, receivedAt).map((t) => ({
          kind: "check",
          nodeId: t.node.id,
          hostname: t.node.hostname,
          checkId: t.result.check.id,
          name: t.result.check.name,
          from: t.from,
          to: t.to,
          result: t.result,
        }));
      },
    },
    events: {
      node: heardFrom,
      // Nothing keeps events yet: they are announced (alerts on die, oom, health_status…).
      apply: (env) => env.payload.events.map((event) => ({ kind: "event", nodeId: env.node.id, hostname: env.node.hostname, event })),
    },
    logs: {
      node: heardFrom,
      // The log store is an extra handler (see ExtraHandlers); without it, logs only say the node is alive.
      apply: () => NONE,
    },
  };
}
