import { Kvm, type KV } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { z } from "zod";
import type { Logger } from "../../lib/index.js";
import { LABEL_PREFIX } from "./labels.js";

/** The bucket the collector fills (collector/swarm/check-definitions.ts). */
export const CHECKS_BUCKET = "VIGIE_CHECKS";

/** Where the agent's NATS is, with the credentials its publisher uses. */
export interface NatsSource {
  natsUrl: string;
  user?: string;
  pass?: string;
  token?: string;
}

/** Bounds on what is taken from the bucket: it is written by the collector, but read as hostile input. */
const MAX_SERVICES = 10_000;
const MAX_VALUE_BYTES = 64 * 1024;
const Entry = z.object({
  service: z.string().max(255),
  labels: z.record(z.string().max(256), z.string().max(4096)).refine((l) => Object.keys(l).length <= 64, { message: "more than 64 labels" }),
});

/**
 * The `vigie.check.*` labels of Swarm services as the collector publishes them, kept up to date
 * by watching the KV bucket. Only managers can read service labels; with this, an agent on a
 * worker runs the checks of the service tasks it hosts. Until the bucket exists (collector not
 * started yet) it keeps looking, quietly; the engine's own answer, when there is one, wins.
 */
export class ServiceCheckLabels {
  private readonly services = new Map<string, Record<string, string>>();
  private closed = false;
  private nc: NatsConnection | undefined;
  private watcher: { stop(): void } | undefined;
  private wake: (() => void) | undefined;
  private readonly done: Promise<void>;

  private constructor(
    private readonly source: NatsSource | { nc: NatsConnection },
    private readonly log: Logger,
    private readonly retryMs: number,
  ) {
    this.done = this.run();
  }

  /** Starts watching; `nc` to share a connection, else one is opened (and closed by `close`). */
  static watch(source: NatsSource | { nc: NatsConnection }, log: Logger, options: { retryMs?: number } = {}): ServiceCheckLabels {
    return new ServiceCheckLabels(source, log, options.retryMs ?? 5000);
  }

  /** The service's published check labels, or undefined. */
  get(serviceId: string): Record<string, string> | undefined {
    return this.services.get(serviceId);
  }

  get size(): number {
    return this.services.size;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.stop();
    this.wake?.();
    await this.done;
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      try {
        const nc = "nc" in this.source ? this.source.nc : (this.nc ??= await this.connect(this.source));
        const kv: KV = await new Kvm(nc).open(CHECKS_BUCKET);
        await kv.status(); // throws while the bucket does not exist
        const watch = await kv.watch();
        this.watcher = watch;
        if (this.closed) watch.stop();
        for await (const e of watch) {
          if (e.operation !== "PUT") this.services.delete(e.key);
          else this.apply(e.key, e.value);
        }
      } catch (err) {
        if (!this.closed) this.log.debug({ err: (err as Error).message }, "service check labels not available yet (the collector publishes them)");
      }
      if (this.closed) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.retryMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    // The connection this instance opened (a shared one stays its owner's).
    if ("natsUrl" in this.source) await this.nc?.close().catch(() => undefined);
  }

  private connect(source: NatsSource): Promise<NatsConnection> {
    const { natsUrl, user, pass, token } = source;
    return connect({ servers: natsUrl, user, pass, token, name: "vigie-agent-checks", maxReconnectAttempts: -1, reconnectTimeWait: 1000 });
  }

  private apply(key: string, value: Uint8Array): void {
    if (value.length > MAX_VALUE_BYTES || (!this.services.has(key) && this.services.size >= MAX_SERVICES)) return;
    let parsed: z.infer<typeof Entry>;
    try {
      parsed = Entry.parse(JSON.parse(new TextDecoder().decode(value)));
    } catch {
      this.log.warn({ key }, "ignored a malformed entry of the service check labels");
      return;
    }
    this.services.set(key, Object.fromEntries(Object.entries(parsed.labels).filter(([k]) => k.startsWith(LABEL_PREFIX))));
  }
}
