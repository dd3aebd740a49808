import { headers, type NatsConnection } from "@nats-io/transport-node";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JetStreamClient, type JsMsg } from "@nats-io/jetstream";
import { decode, DEADLETTER_SUBJECT, KINDS, MAX_MESSAGE_BYTES, parseSubject, STREAMS, type DecodeError, type Envelope, type Kind } from "../../protocol/index.js";
import { contextFrom, inSpan, type Logger } from "../../lib/index.js";
import { checkTimes, DEFAULT_CLOCK_POLICY, type ClockPolicy } from "./clock.js";
import { FairShare, type FairShareOptions } from "./fair-share.js";

export interface IngestStats {
  accepted: number;
  duplicates: number;
  /** Messages moved to the dead letters, by reason: each message once, however often it was delivered. */
  deadLetters: Map<string, number>;
  /** Messages given up after `maxDeliveries` attempts (terminated, never redelivered). */
  terminated: number;
  /** Messages put back for a while because their node had used up its share of the collector's time. */
  deferred: number;
  /** Seconds from sampling to storing, of the last message. */
  lastLagSeconds: number;
}

export interface IngestOptions {
  /** Durable consumer name, shared by collectors that split the load. */
  durable: string;
  maxMessageBytes: number;
  /** Stores an envelope; returns false for a duplicate. Must be durable before it returns. */
  store: (env: Envelope) => boolean;
  now: () => number;
  log: Logger;
  /**
   * How long a stored message's ack may wait to go out with the next ones, in ms (default 50):
   * one write to the server for many acks instead of one per message. Far below the consumer's
   * 30 s ack wait; a crash in between redelivers the message, which the store knows as a duplicate.
   */
  ackDelayMs?: number;
  /** Timestamps accepted (see `checkTimes`); default 5 min ahead, 7 days old. */
  clock?: Partial<ClockPolicy>;
  /**
   * Deliveries of one message before it is given up (terminated and counted, default 5): a message
   * that cannot be stored nor dead-lettered must not come back forever, costing a core and
   * holding up every node behind it.
   */
  maxDeliveries?: number;
  /** Each node's share of processing time (see `FairShare`). */
  fairShare?: FairShareOptions;
}

/** Bytes of messages a consumer keeps buffered at most (at most 100 messages, the client's default). */
const PULL_BYTES = 16 * 2 ** 20;

/** Dead-letter copies sent and not yet acknowledged at most; the next bad message waits for one. */
const DEAD_LETTERS_IN_FLIGHT = 256;

/** How long one pull request lives, in ms (see where it is used). */
const PULL_EXPIRES_MS = 2000;

/** At most this many acks wait; the next one sends them all. */
const ACK_BATCH = 256;

/**
 * Pulls every Vigie stream through a durable consumer with explicit acks: a message is
 * acknowledged only after it is stored, so a collector crash redelivers it (and the store
 * knows it as a duplicate by its sequence number). A message that cannot be decoded is copied
 * to the dead-letter subject with the reason in its headers, counted, logged, and acked.
 */
export class Ingest {
  readonly stats: IngestStats = { accepted: 0, duplicates: 0, deadLetters: new Map(), terminated: 0, deferred: 0, lastLagSeconds: 0 };
  private readonly subscriptions: ConsumerMessages[] = [];
  private readonly loops: Promise<void>[] = [];
  /** Stored messages whose ack has not gone out yet (for at most `ackDelayMs`). */
  private readonly unacked: JsMsg[] = [];
  private ackTimer: NodeJS.Timeout | undefined;
  /** Dead-letter copies not yet acknowledged by the server. */
  private readonly inflight = new Set<Promise<void>>();
  private readonly clock: ClockPolicy;
  private readonly fair: FairShare;
  private readonly js: JetStreamClient;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: IngestOptions,
  ) {
    this.clock = { ...DEFAULT_CLOCK_POLICY, ...options.clock };
    this.fair = new FairShare(options.fairShare);
    this.js = jetstream(nc);
  }

  async start(kinds: readonly Kind[] = KINDS): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    const js = jetstream(this.nc);
    for (const kind of kinds) {
      const stream = STREAMS[kind].name;
      const existing = await jsm.consumers.info(stream, this.options.durable).catch(() => undefined);
      if (!existing) {
        await jsm.consumers.add(stream, {
          durable_name: this.options.durable,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: 30_000_000_000,
          max_ack_pending: 10_000,
        });
      }
      const consumer = await js.consumers.get(stream, this.options.durable);
      // Bounded by bytes, not only by count: 512 buffered metrics messages of a large node are
      // ~90 MiB waiting in the client while the collector is behind. A pull (the client asks for
      // the quarter it has room for) must still fit the largest message the server takes.
      const maxBytes = Math.max(PULL_BYTES, 4 * (this.nc.info?.max_payload ?? 0), 4 * this.options.maxMessageBytes);
      // A pull whose bytes left are fewer than the next message's size waits, without a word from
      // the server, until it expires: a short expiry bounds that stall (30 s by default, behind a
      // message of nearly max_payload) to a couple of seconds.
      const messages = await consumer.consume({ max_bytes: maxBytes, expires: PULL_EXPIRES_MS });
      this.subscriptions.push(messages);
      this.loops.push(this.run(messages));
    }
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    for await (const m of messages) {
      const maxDeliveries = this.options.maxDeliveries ?? 5;
      if (m.info.deliveryCount > maxDeliveries) {
        this.giveUp(m, "delivered too often");
        continue;
      }
      // The node is known from the subject before anything is decoded. A node over its share waits,
      // but only for the first deliveries: a deferral never brings a message to its last attempt.
      const node = parseSubject(m.subject)?.nodeId ?? "";
      const wait = m.info.deliveryCount < maxDeliveries - 1 ? this.fair.delay(node, this.options.now()) : 0;
      if (wait > 0) {
        this.stats.deferred++;
        m.nak(wait);
        continue;
      }
      const started = performance.now();
      try {
        await this.handle(m);
      } catch (err) {
        this.failed(m, err as Error);
      }
      this.fair.charge(node, performance.now() - started, this.options.now());
    }
  }

  /** A message that could not be stored nor dead-lettered: redelivered later, or given up after `maxDeliveries`. */
  private failed(m: JsMsg, err: Error): void {
    if (m.info.deliveryCount >= (this.options.maxDeliveries ?? 5)) {
      this.giveUp(m, err.message);
      return;
    }
    // A store failure (disk full, …): leave the message for redelivery, never lose it.
    this.options.log.error({ err: err.message, subject: m.subject, deliveries: m.info.deliveryCount }, "could not store message; will be redelivered");
    m.nak(1000);
  }

  /**
   * Dead-letters a message and acks it once the copy is stored, without waiting for that before
   * taking the next message: a flood of bad messages then costs their decoding, not a round trip
   * to the server each (at most `DEAD_LETTERS_IN_FLIGHT` copies wait at once).
   */
  private async refuse(m: JsMsg, error: DecodeError): Promise<void> {
    const p: Promise<void> = this.deadLetter(m, error)
      .then(
        () => m.ack(),
        (err: unknown) => this.failed(m, err as Error),
      )
      .finally(() => this.inflight.delete(p));
    this.inflight.add(p);
    if (this.inflight.size >= DEAD_LETTERS_IN_FLIGHT) await Promise.race(this.inflight);
  }

  private async handle(m: JsMsg): Promise<void> {
    const decoded = decode(m.data, { subject: m.subject, maxBytes: this.options.maxMessageBytes });
    if (!decoded.ok) return this.refuse(m, decoded.error);
    const env = decoded.value;
    const skewed = checkTimes(env, this.options.now(), this.clock);
    if (skewed) return this.refuse(m, skewed);
    // Continue the agent's trace (W3C traceparent in the NATS headers) when there is one.
    await inSpan(
      "vigie.ingest",
      { "messaging.system": "nats", "messaging.destination.name": m.subject, "node.id": env.node.id, "vigie.seq": env.agent.seq },
      async (span) => {
        const fresh = await inSpan("vigie.store", { "vigie.kind": env.kind }, async () => this.options.store(env));
        span.setAttribute("vigie.duplicate", !fresh);
        if (fresh) this.stats.accepted++;
        else this.stats.duplicates++;
      },
      contextFrom(m.headers?.get("traceparent")),
    );
    this.stats.lastLagSeconds = Math.max(0, (this.options.now() - env.time) / 1000);
    this.ackLater(m);
  }

  /** Acks a stored message with the next ones (see `ackDelayMs`). */
  private ackLater(m: JsMsg): void {
    const delay = this.options.ackDelayMs ?? 50;
    if (delay <= 0) {
      m.ack();
      return;
    }
    this.unacked.push(m);
    if (this.unacked.length >= ACK_BATCH) this.flushAcks();
    else this.ackTimer ??= setTimeout(this.flushAcks, delay);
  }

  /** Sends the waiting acks: the client writes them to the server together. */
  private readonly flushAcks = (): void => {
    clearTimeout(this.ackTimer);
    this.ackTimer = undefined;
    for (const m of this.unacked.splice(0)) {
      try {
        m.ack();
      } catch (err) {
        // Connection closed: the message is redelivered after the ack wait, a duplicate to the store.
        this.options.log.warn({ err: (err as Error).message }, "could not acknowledge a stored message; it will be redelivered");
      }
    }
  };

  /** Terminates a message that failed `maxDeliveries` times: counted and logged, never redelivered. */
  private giveUp(m: JsMsg, why: string): void {
    this.stats.terminated++;
    this.options.log.error({ subject: m.subject, streamSeq: m.seq, deliveries: m.info.deliveryCount, err: why }, "message given up after repeated failures");
    m.term(why.slice(0, 200));
  }

  /**
   * Copies a refused message to the dead-letter subject with why, where from and how big. A copy
   * that would not fit the server's max_payload with its headers (a message of nearly that size)
   * is cut to fit and says so (`Vigie-Truncated`): refused whole, it would be redelivered forever.
   */
  private async deadLetter(m: JsMsg, error: DecodeError): Promise<void> {
    this.options.log.warn({ subject: m.subject, streamSeq: m.seq, reason: error.code, error: error.message }, "message moved to dead letters");
    const h = headers();
    h.set("Vigie-Reason", error.code);
    h.set("Vigie-Error", error.message.slice(0, 1000).replace(/[^\x20-\x7e]/g, " "));
    h.set("Vigie-Subject", m.subject);
    h.set("Vigie-Stream", m.info.stream);
    h.set("Vigie-Stream-Seq", String(m.seq));
    h.set("Vigie-Size", String(m.data.byteLength));
    const room = deadLetterRoom(this.nc.info?.max_payload ?? MAX_MESSAGE_BYTES, h);
    let data = m.data;
    if (data.byteLength > room) {
      h.set("Vigie-Truncated", "true");
      data = data.subarray(0, room);
    }
    const ack = await this.js.publish(DEADLETTER_SUBJECT, data, { headers: h, msgID: `${m.info.stream}:${m.seq}` });
    // A redelivered message whose copy is already there is not counted again.
    if (!ack.duplicate) this.stats.deadLetters.set(error.code, (this.stats.deadLetters.get(error.code) ?? 0) + 1);
  }

  async stop(): Promise<void> {
    for (const s of this.subscriptions) await s.close();
    await Promise.allSettled(this.loops);
    await Promise.allSettled([...this.inflight]);
    this.flushAcks();
    await this.nc.flush().catch(() => undefined);
  }
}

/**
 * Bytes of a message that fit in a dead-letter copy beside its headers: the server's max_payload
 * counts headers and data together; the client adds the message id header and the framing.
 */
export function deadLetterRoom(maxPayload: number, h: { keys(): string[]; values(k: string): string[] }): number {
  let headerBytes = "NATS/1.0\r\n\r\n".length + "Nats-Msg-Id: ".length + 64 + 2;
  for (const k of h.keys()) for (const v of h.values(k)) headerBytes += k.length + 2 + Buffer.byteLength(v) + 2;
  return Math.max(0, maxPayload - headerBytes - 256);
}
