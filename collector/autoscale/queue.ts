import type { JetStreamManager } from "@nats-io/jetstream";
import type { QueueReader, QueueReading } from "./ports.js";

/**
 * A worker service's backlog: the messages its JetStream consumer has not yet been delivered
 * (`num_pending`). Messages delivered and not yet acknowledged are being worked on and do not
 * call for more workers. A consumer that cannot be read is an expected failure, returned as a
 * value (the service is then held for missing metrics).
 */
export class JetStreamQueueReader implements QueueReader {
  constructor(private readonly jsm: JetStreamManager) {}

  async pending(stream: string, consumer: string): Promise<QueueReading> {
    try {
      const info = await this.jsm.consumers.info(stream, consumer);
      const n = info.num_pending;
      if (!Number.isSafeInteger(n) || n < 0) return { ok: false, error: `consumer ${stream}/${consumer} reported pending ${String(n)}` };
      return { ok: true, pending: n };
    } catch (err) {
      return { ok: false, error: `cannot read consumer ${stream}/${consumer}: ${(err as Error).message}` };
    }
  }
}
