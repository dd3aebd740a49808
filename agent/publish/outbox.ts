import { randomUUID } from "node:crypto";
import { currentTraceparent } from "../../lib/index.js";
import { encode, messageId, subjectFor, SCHEMA, type Envelope, type Kind } from "../../protocol/index.js";
import type { Spool } from "./spool.js";
import type { Publisher } from "./publisher.js";

export interface AgentIdentity {
  nodeId: string;
  hostname: string;
  version: string;
}

type PayloadOf<K extends Kind> = Extract<Envelope, { kind: K }>["payload"];

/**
 * Wraps payloads in envelopes (identity, bootId, seq) and hands them to the spool, which the
 * publisher drains; a message leaves the spool only once acknowledged, and is on disk whenever
 * the acknowledgement is slow to come (spool.ts). `bootId:seq` is the JetStream message id.
 */
export class Outbox {
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

  async send<K extends Kind>(kind: K, payload: PayloadOf<K>, time: number): Promise<void> {
    const seq = ++this.seq;
    const envelope = {
      schema: SCHEMA,
      kind,
      node: { id: this.identity.nodeId, hostname: this.identity.hostname },
      agent: { version: this.identity.version, bootId: this.bootId, seq },
      time,
      payload,
    } as Envelope;
    await this.spool.append(subjectFor(kind, this.identity.nodeId), messageId(this.bootId, seq), encode(envelope), currentTraceparent());
    this.publisher.wake();
  }
}
