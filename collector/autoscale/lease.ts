import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import { Periodic, type Logger } from "../../lib/index.js";
import type { Clock, Lease } from "./ports.js";

export interface KvLeaseOptions {
  /** KV bucket (created when missing, with the TTL). */
  bucket: string;
  /** Key of this lease in the bucket. Default `autoscaler`. */
  key?: string;
  /** Who this instance is (in the value, for the API and logs). */
  holderId: string;
  /** Time to live without renewal, ms: after it, the key is gone and another instance takes the lease. */
  ttlMs: number;
  log: Logger;
  now: Clock;
}

interface LeaseValue {
  holder: string;
  since: number;
}

/**
 * A lease in NATS JetStream KV, so that one collector acts at a time. The bucket's TTL removes
 * the key when its holder stops renewing it (killed, partitioned); taking it is a `create`
 * (fails if the key exists), renewing it an `update` naming the revision held (fails if anyone
 * else wrote since). The holder considers itself the holder only until a quarter of the TTL
 * before the key could expire, measured from when it sent its last renewal: a holder that is
 * paused or cut off stops acting before anyone else can start. Renewed every third of the TTL.
 */
export class KvLease implements Lease {
  holder: string | undefined;
  private kv: KV | undefined;
  private revision: number | undefined;
  private validUntil = 0;
  private since = 0;
  private readonly key: string;
  private readonly loop: Periodic;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: KvLeaseOptions,
  ) {
    this.key = options.key ?? "autoscaler";
    this.loop = new Periodic(
      { name: "autoscale-lease", intervalMs: Math.max(500, Math.floor(options.ttlMs / 3)), onError: (err) => options.log.warn({ err: (err as Error).message }, "autoscale lease renewal failed") },
      async () => void (await this.hold()),
    );
  }

  /** Keeps taking or renewing the lease in the background. */
  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.release();
  }

  held(): boolean {
    return this.revision !== undefined && this.options.now() < this.validUntil;
  }

  async hold(): Promise<boolean> {
    const started = this.options.now();
    const value = JSON.stringify({ holder: this.options.holderId, since: this.revision !== undefined ? this.since : started } satisfies LeaseValue);
    let kv: KV;
    try {
      kv = await this.bucket();
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, "autoscale lease bucket unavailable");
      return this.held();
    }
    if (this.revision !== undefined) {
      try {
        this.revision = await kv.update(this.key, value, this.revision);
        this.validUntil = started + this.options.ttlMs - this.options.ttlMs / 4;
        return true;
      } catch (err) {
        this.options.log.warn({ err: (err as Error).message }, "autoscale lease lost");
        this.revision = undefined;
      }
    }
    try {
      this.revision = await kv.create(this.key, value);
      this.since = started;
      this.validUntil = started + this.options.ttlMs - this.options.ttlMs / 4;
      this.holder = this.options.holderId;
      this.options.log.info({ holder: this.options.holderId }, "autoscale lease taken: this collector acts");
      return true;
    } catch {
      // Someone holds it: say who. If it is this instance (a renewal whose answer was lost),
      // take its revision back and renew at once rather than wait for the key to expire.
      try {
        const e = await kv.get(this.key);
        this.holder = e && e.operation === "PUT" ? ((e.json<LeaseValue>()).holder ?? undefined) : undefined;
        if (e && this.holder === this.options.holderId) {
          this.revision = await kv.update(this.key, value, e.revision);
          this.validUntil = started + this.options.ttlMs - this.options.ttlMs / 4;
          return true;
        }
      } catch {
        // unknown holder, or lost the race to renew: not held
        this.revision = undefined;
      }
      return false;
    }
  }

  async release(): Promise<void> {
    const revision = this.revision;
    this.revision = undefined;
    this.validUntil = 0;
    if (revision === undefined || !this.kv) return;
    try {
      await this.kv.delete(this.key, { previousSeq: revision });
      this.options.log.info("autoscale lease released");
    } catch {
      // Already taken over or expired: nothing to give up.
    }
  }

  private async bucket(): Promise<KV> {
    this.kv ??= await new Kvm(this.nc).create(this.options.bucket, { history: 1, ttl: this.options.ttlMs });
    return this.kv;
  }
}
