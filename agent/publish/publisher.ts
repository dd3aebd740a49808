import type { JetStreamClient } from "@nats-io/jetstream";
import { headers } from "@nats-io/transport-node";
import { Backoff, contextFrom, currentTraceparent, inSpan, type Logger } from "../../lib/index.js";
import type { Spool, SpoolEntry } from "./spool.js";

export interface PublisherStats {
  published: number;
  duplicates: number;
  errors: number;
  /** Recently acknowledged messages sent again after a reconnect. */
  replayed: number;
  /** Of those, the ones the server had lost (stored anew rather than known as duplicates). */
  recovered: number;
}

export interface PublisherOptions {
  /** Per-publish acknowledgement timeout. Default 5 s. */
  ackTimeoutMs?: number;
  /** Backoff after a failure: starts here, doubles, with jitter (lib/backoff). Default 250 ms. */
  backoffInitialMs?: number;
  /** Backoff ceiling. Default 15 s. */
  backoffMaxMs?: number;
  random?: () => number;
  /**
   * How long an acknowledged message is kept in memory to be sent again after a reconnect.
   * A nats-server killed hard can lose messages it had already acknowledged (its file store
   * writes behind); the message id makes the replay of the ones it kept a no-op. Default 30 s.
   */
  replayWindowMs?: number;
  now?: () => number;
}

/** Bounds of the replay window's memory. */
const REPLAY_MAX_MESSAGES = 2000;
const REPLAY_MAX_BYTES = 16 * 1024 * 1024;

/**
 * What the agent says when JetStream does not answer on a record's subject: NATS replies "no
 * responders" (503), which the client reports as "jetstream is not enabled". On a server run for
 * Vigie that almost always means the agent started before any collector: the collector creates
 * the streams when it starts.
 */
export const STREAMS_MISSING =
  "no JetStream stream takes this subject yet: the streams are missing (the collector creates them when it starts; or JetStream is off on this NATS server). Messages wait in the spool, up to its bound (agent.spoolMaxBytes; past it the oldest are dropped and counted)";

/** Whether a publish failed because no stream (or no JetStream at all) answers on the subject. */
export function streamsMissing(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const cause = err.cause instanceof Error ? err.cause : undefined;
  return err.name === "JetStreamNotEnabled" || /no responders/i.test(err.message) || (cause !== undefined && /no responders/i.test(cause.message));
}

/**
 * Drains the spool into JetStream in order, oldest first, one message in flight: a message
 * leaves the spool only once JetStream acknowledged it (or reports it a duplicate, which
 * means an earlier attempt landed). Failures back off exponentially with jitter.
 */
export class Publisher {
  readonly stats: PublisherStats = { published: 0, duplicates: 0, errors: 0, replayed: 0, recovered: 0 };
  private recent: { entry: SpoolEntry; at: number }[] = [];
  private recentBytes = 0;
  private replayPending = false;
  private js: JetStreamClient | undefined;
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private stopped = false;
  private streamsWereMissing = false;
  private readonly retry: Backoff;

  constructor(
    private readonly spool: Spool,
    private readonly log: Logger,
    private readonly options: PublisherOptions = {},
  ) {
    this.retry = new Backoff({ initialMs: options.backoffInitialMs ?? 250, maxMs: options.backoffMaxMs ?? 15_000, random: options.random });
  }

  /** Sets (or replaces, after a reconnect) the JetStream client, and starts draining. */
  attach(js: JetStreamClient | undefined, reconnected = false): void {
    this.js = js;
    if (reconnected && this.recent.length > 0) this.replayPending = true;
    this.retry.reset();
    this.wake();
  }

  /** Called when something was appended to the spool. */
  wake(): void {
    if (this.stopped) return;
    if (this.wakeUp) {
      // A new message does not cut a backoff short; a new connection (failures reset) does.
      if (this.retry.attempts > 0) return;
      const w = this.wakeUp;
      this.wakeUp = undefined;
      w();
      return;
    }
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
  }

  /** Resolves once the spool is empty (or after `timeoutMs`); for shutdown and tests. */
  async flush(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.spool.size > 0 && Date.now() < deadline) {
      this.wake();
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.spool.size === 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.running;
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      const js = this.js;
      if (js && this.replayPending) {
        if (await this.replay(js)) continue;
        await this.sleep(this.retry.next());
        continue;
      }
      const entry = js ? await this.spool.peek() : undefined;
      if (!js || !entry) return;
      try {
        const ack = await inSpan(
          "vigie.publish",
          { "messaging.system": "nats", "messaging.destination.name": entry.subject, "messaging.message.id": entry.msgId },
          async () => {
            // The trace goes along in the message's headers (W3C trace context), parented here.
            const traceparent = currentTraceparent();
            const h = traceparent ? headers() : undefined;
            h?.set("traceparent", traceparent);
            return js.publish(entry.subject, entry.data, { msgID: entry.msgId, timeout: this.options.ackTimeoutMs ?? 5000, headers: h });
          },
          contextFrom(entry.traceparent),
        );
        if (ack.duplicate) this.stats.duplicates++;
        else this.stats.published++;
        await this.spool.remove(entry.id);
        this.remember(entry);
        this.retry.reset();
        if (this.streamsWereMissing) {
          this.streamsWereMissing = false;
          this.log.info({ waiting: this.spool.size }, "the JetStream streams are there now; the spooled messages follow");
        }
      } catch (err) {
        this.stats.errors++;
        const delay = this.retry.next();
        const missing = streamsMissing(err);
        if (this.retry.attempts === 1 || this.retry.attempts % 20 === 0) {
          const fields = { err: (err as Error).message, subject: entry.subject, waiting: this.spool.size, retryInMs: Math.round(delay) };
          if (missing) this.log.warn(fields, STREAMS_MISSING);
          else this.log.warn(fields, "publish failed; message kept in spool");
        }
        this.streamsWereMissing ||= missing;
        await this.sleep(delay);
      }
    }
  }

  /** Sends the recently acknowledged messages again, oldest first; false when the server failed us. */
  private async replay(js: JetStreamClient): Promise<boolean> {
    this.prune();
    for (const r of this.recent) {
      try {
        const ack = await js.publish(r.entry.subject, r.entry.data, { msgID: r.entry.msgId, timeout: this.options.ackTimeoutMs ?? 5000 });
        this.stats.replayed++;
        if (!ack.duplicate) this.stats.recovered++;
      } catch (err) {
        this.stats.errors++;
        this.log.warn({ err: (err as Error).message }, "replay after reconnect failed; will retry");
        return false;
      }
    }
    if (this.stats.recovered > 0) this.log.warn({ recovered: this.stats.recovered }, "the NATS server had lost acknowledged messages; sent again");
    this.replayPending = false;
    this.retry.reset();
    return true;
  }

  private remember(entry: SpoolEntry): void {
    if ((this.options.replayWindowMs ?? 30_000) <= 0) return;
    this.recent.push({ entry, at: this.now() });
    this.recentBytes += entry.data.byteLength;
    this.prune();
  }

  private prune(): void {
    const oldest = this.now() - (this.options.replayWindowMs ?? 30_000);
    while (this.recent.length > 0) {
      const first = this.recent[0] as { entry: SpoolEntry; at: number };
      if (first.at >= oldest && this.recent.length <= REPLAY_MAX_MESSAGES && this.recentBytes <= REPLAY_MAX_BYTES) break;
      this.recent.shift();
      this.recentBytes -= first.entry.data.byteLength;
    }
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  /** Sleeps, but wakes early when a new JetStream client is attached or on stop. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wakeUp = undefined;
        resolve();
      }, ms);
      t.unref();
      this.wakeUp = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
}
