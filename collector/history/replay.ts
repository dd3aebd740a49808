import type { NatsConnection } from "@nats-io/transport-node";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { decode, STREAMS, type EnvelopeOf } from "../../protocol/index.js";

export interface ReplayOptions {
  /** Replay messages sampled since this time (Unix ms): the start of the history window. */
  since: number;
  maxMessageBytes: number;
  /**
   * Also reads this much before `since` (ms), to prime counters: the window's first rate then
   * pairs with the reading before it, as it did live. Default 0.
   */
  primeMs?: number;
  /** Gives up (keeping what was read) after this long (ms). Default 60 s. */
  deadlineMs?: number;
}

/**
 * Rebuilds the in-memory history after a restart by reading the metrics stream from the start
 * of the window with an ordered (ephemeral, unacknowledged) consumer: acknowledged messages
 * are still in the stream, so nothing the window held is lost. Runs before the durable
 * consumer starts, so that replayed samples come in time order. `apply` is told whether a message
 * only primes counters (sampled before `since`). Returns messages applied (not counting those).
 */
export async function replayMetrics(nc: NatsConnection, options: ReplayOptions, apply: (env: EnvelopeOf<"metrics">, priming: boolean) => void): Promise<number> {
  const js = jetstream(nc);
  const start = options.since - (options.primeMs ?? 0);
  const consumer = await js.consumers.get(STREAMS.metrics.name, { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(start).toISOString() });
  const info = await consumer.info();
  if (info.num_pending === 0) return 0;
  const deadline = Date.now() + (options.deadlineMs ?? 60_000);
  let applied = 0;
  const messages = await consumer.consume({ max_messages: 1024 });
  for await (const m of messages) {
    const decoded = decode(m.data, { subject: m.subject, maxBytes: options.maxMessageBytes });
    if (decoded.ok && decoded.value.kind === "metrics") {
      const priming = decoded.value.time < options.since;
      apply(decoded.value, priming);
      if (!priming) applied++;
    }
    if (m.info.pending === 0 || Date.now() > deadline) break;
  }
  await messages.close();
  return applied;
}
