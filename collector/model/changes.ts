import type { CheckResult, CheckState, Event } from "../../protocol/index.js";
import type { Logger } from "../../lib/index.js";
import type { NodeStatus } from "../history/absence.js";
import type { SwarmStatus } from "../swarm/watcher.js";
import type { SwarmView } from "../swarm/model.js";

/** Which node a change is about: its id and the hostname it is known by. */
export interface NodeRef {
  nodeId: string;
  hostname: string;
}

/**
 * What changed in the model, as subscribers see it. Each kind is announced after the stores hold
 * it (a subscriber may query the model from its listener and sees the change).
 */
export type ModelChange =
  /** A node's metrics message was applied: its latest values and history moved on. */
  | ({ kind: "metrics"; /** Sample time of the message (Unix ms). */ time: number } & NodeRef)
  /** Something happened on a node (a container started, died, was OOM-killed, changed health…): one change per event. */
  | ({ kind: "event"; event: Event } & NodeRef)
  /** A status check's state after thresholds changed, or a check appeared (`from` undefined). */
  | ({ kind: "check"; checkId: string; name: string; from: CheckState | undefined; to: CheckState; result: CheckResult } & NodeRef)
  /** The Swarm view changed (nodes, services, tasks, quorum), or it went away (`view` undefined). */
  | { kind: "swarm"; status: SwarmStatus; view: SwarmView | undefined }
  /** A node's status changed: it went stale or down, or reports again (`from` undefined: first seen not up). */
  | ({ kind: "nodeStatus"; from: NodeStatus | undefined; to: NodeStatus } & NodeRef);

export type ChangeKind = ModelChange["kind"];
export type ChangeOf<K extends ChangeKind> = Extract<ModelChange, { kind: K }>;

/**
 * Listeners run synchronously, on the ingest path, after the message is stored: keep them quick
 * (queue heavy work). A listener that throws or rejects is logged and counted; it never stops
 * ingest nor the other listeners.
 */
export type ChangeListener<C extends ModelChange = ModelChange> = (change: C) => void | Promise<void>;

/** Delivers the model's changes to its subscribers, each isolated from the others' failures. */
export class ChangeHub {
  /** Listener calls that threw or rejected (the collector's `vigie_model_listener_errors_total`). */
  errors = 0;
  private readonly all = new Set<ChangeListener>();
  private readonly byKind = new Map<ChangeKind, Set<ChangeListener>>();

  constructor(private readonly log?: Logger) {}

  /** Every change; returns the function that unsubscribes. */
  subscribe(listener: ChangeListener): () => void {
    const own: ChangeListener = (c) => listener(c);
    this.all.add(own);
    return () => void this.all.delete(own);
  }

  /** Changes of one kind; returns the function that unsubscribes. */
  on<K extends ChangeKind>(kind: K, listener: ChangeListener<ChangeOf<K>>): () => void {
    const own: ChangeListener = (c) => listener(c as ChangeOf<K>);
    let set = this.byKind.get(kind);
    if (!set) this.byKind.set(kind, (set = new Set()));
    set.add(own);
    return () => void set.delete(own);
  }

  publish(changes: readonly ModelChange[]): void {
    for (const c of changes) {
      const kind = this.byKind.get(c.kind);
      if (kind) for (const l of kind) this.deliver(l, c);
      for (const l of this.all) this.deliver(l, c);
    }
  }

  private deliver(listener: ChangeListener, change: ModelChange): void {
    try {
      const r = listener(change);
      if (r instanceof Promise) r.catch((err: unknown) => this.failed(change, err));
    } catch (err) {
      this.failed(change, err);
    }
  }

  private failed(change: ModelChange, err: unknown): void {
    this.errors++;
    this.log?.warn({ err: err instanceof Error ? err.message : String(err), change: change.kind }, "a model subscriber failed; ingest goes on");
  }
}
