import { randomUUID } from "node:crypto";
import { currentTraceparent } from "../../lib/index.js";
import { encode, messageId, subjectFor, SCHEMA, type Envelope, type Kind } from "../../protocol/index.js";
import type { Emitter, PayloadOf } from "../source.js";
import type { Spool } from "./spool.js";
import type { Publisher } from "./publisher.js";

export interface AgentIdentity {
  nodeId: string;
  hostname: string;
  version: string;
}

/**
 * How safe each kind is when `emit` resolves (the table and its reasons are on `Emitter` in
 * `source.ts`): `ahead` is on disk before the publish, `behind` is on disk only when JetStream
 * is slow to acknowledge it (`agent.spoolWriteAfter`).
 */
export const DURABILITY: Readonly<Record<Kind, "ahead" | "behind">> = {
  events: "ahead",
  logs: "ahead",
  metrics: "behind",
  status: "behind",
};

/**
 * The agent's way out (the `Emitter` the sources see): wraps each payload in an envelope
 * (identity, bootId, seq), appends it to the spool with its kind's durability, and wakes the
 * publisher, which drains the spool into JetStream. A message leaves the spool only once
 * acknowledged. `bootId:seq` is the JetStream message id, so a message sent twice (after a
 * restart, a reconnect) is stored once.
 */
export class EnvelopeEmitter implements Emitter {
  readonly bootId = randomUUID();
  private seq = 0;

  constructor(
    private readonly identity: AgentIdentity,
    private readonly spool: Spool,
    private readonly publisher: Publisher,
  ) {}

  /** The last sequence number given out in this boot. */
  get lastSeq(): number {
    return this.seq;
  }

  async emit<K extends Kind>(kind: K, payload: PayloadOf<K>, time: number): Promise<void> {
    const seq = ++this.seq;
    const envelope = {
      schema: SCHEMA,
      kind,
      node: { id: this.identity.nodeId, hostname: this.identity.hostname },
      agent: { version: this.identity.version, bootId: this.bootId, seq },
      time,
      payload,
    } as Envelope;
    await this.spool.append(subjectFor(kind, this.identity.nodeId), messageId(this.bootId, seq), encode(envelope), currentTraceparent(), {
      writeAhead: DURABILITY[kind] === "ahead",
    });
    this.publisher.wake();
  }
}
