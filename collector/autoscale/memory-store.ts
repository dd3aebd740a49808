import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import type { Logger } from "../../lib/index.js";
import type { ScaleMemory } from "./decide.js";
import { restore, snapshot } from "./memory.js";
import type { Clock, MemoryLoad, MemoryStore } from "./ports.js";

export interface KvMemoryStoreOptions {
  /** KV bucket (created when missing). */
  bucket: string;
  /**
   * How long an entry outlives its last write. Default 2 days: longer than any cooldown or
   * stabilization window a policy may set (24 h), so only services gone for good are forgotten.
   */
  ttlMs?: number;
  log: Logger;
  now: Clock;
}

/**
 * The autoscaler's memory of each service in NATS JetStream KV, next to the lease: whichever
 * collector holds the lease next (another one after a failover, or this one restarted) reads
 * it. One key per service (the name in base64url: Swarm names may hold characters KV keys may
 * not); a write only when the memory changed.
 */
export class KvMemoryStore implements MemoryStore {
  private kv: KV | undefined;
  private readonly written = new Map<string, string>();

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: KvMemoryStoreOptions,
  ) {}

  async load(service: string): Promise<MemoryLoad> {
    try {
      const e = await (await this.bucket()).get(keyOf(service));
      if (!e || e.operation !== "PUT") return { ok: true, memory: undefined };
      const text = e.string();
      const r = restore(text, this.options.now());
      if (!r.ok) {
        // A value that does not read is no memory; it is overwritten by the next save.
        this.options.log.warn({ service, err: r.error }, "autoscale memory unreadable: starting from none");
        return { ok: true, memory: undefined };
      }
      this.written.set(service, text);
      return { ok: true, memory: r.memory };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }

  async save(service: string, memory: ScaleMemory): Promise<void> {
    const text = snapshot(memory);
    if (this.written.get(service) === text) return;
    await (await this.bucket()).put(keyOf(service), text);
    this.written.set(service, text);
  }

  /** Forgets what was written (a collector that lost the lease reads everything back when it regains it). */
  reset(): void {
    this.written.clear();
  }

  private async bucket(): Promise<KV> {
    this.kv ??= await new Kvm(this.nc).create(this.options.bucket, { history: 1, ttl: this.options.ttlMs ?? 2 * 86_400_000 });
    return this.kv;
  }
}

function keyOf(service: string): string {
  return `s.${Buffer.from(service, "utf8").toString("base64url")}`;
}
