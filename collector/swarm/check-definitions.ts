import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "../../lib/index.js";
import type { SwarmView } from "./model.js";

/** The JetStream KV bucket where the collector publishes the check labels of Swarm services. */
export const CHECKS_BUCKET = "VIGIE_CHECKS";

/** One key of the bucket: a service's id → its name and its `vigie.check.*` labels. */
export interface ServiceChecks {
  service: string;
  labels: Record<string, string>;
}

/** What the bucket should hold for a view: one entry per service with `vigie.check.*` labels. */
export function serviceChecks(view: SwarmView): Map<string, ServiceChecks> {
  const out = new Map<string, ServiceChecks>();
  // A KV key holds letters, digits, `-`, `_`, `=`, `.`; Swarm ids are letters and digits.
  for (const s of view.services) if (s.checkLabels && /^[A-Za-z0-9_-]{1,128}$/.test(s.id)) out.set(s.id, { service: s.name, labels: s.checkLabels });
  return out;
}

/**
 * Publishes the check labels of labelled services to `VIGIE_CHECKS`, so that agents on workers
 * (which cannot read services) run the checks of the tasks they host. Only differences are
 * written: a put for a new or changed service, a delete for one gone or unlabelled. A reading
 * without a view (this engine is not a manager, Docker away) changes nothing: another manager's
 * collector may be publishing, and agents keep the last definitions.
 */
export class CheckDefinitionsPublisher {
  private kv: KV | undefined;
  /** What the bucket holds, as written by this collector (JSON per service id). */
  private written: Map<string, string> | undefined;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
  ) {}

  /** Brings the bucket in line with the view (calls are serialized; a failure is logged and retried at the next one). */
  publish(view: SwarmView | undefined): Promise<void> {
    if (!view) return this.running;
    this.running = this.running.then(() => this.sync(view)).catch((err: unknown) => {
      this.written = undefined; // read the bucket again next time
      this.log.warn({ err: (err as Error).message }, "could not publish service check labels");
    });
    return this.running;
  }

  /** Resolves once the writes asked for so far are done (or failed). */
  settled(): Promise<void> {
    return this.running;
  }

  private async sync(view: SwarmView): Promise<void> {
    this.kv ??= await new Kvm(this.nc).create(CHECKS_BUCKET, { history: 1 });
    const kv = this.kv;
    if (!this.written) {
      this.written = new Map();
      for await (const key of await kv.keys()) {
        const e = await kv.get(key);
        if (e && e.operation === "PUT") this.written.set(key, e.string());
      }
    }
    const want = serviceChecks(view);
    for (const [id, checks] of want) {
      const value = JSON.stringify(checks);
      if (this.written.get(id) === value) continue;
      await kv.put(id, value);
      this.written.set(id, value);
    }
    for (const id of [...this.written.keys()]) {
      if (want.has(id)) continue;
      await kv.delete(id);
      this.written.delete(id);
    }
  }
}
