import { nanos } from "@nats-io/transport-node";
import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import { DEADLETTER_STREAM, KINDS, STREAMS } from "../../protocol/index.js";

export interface StreamOptions {
  /** How long a message is kept in a stream, in ms. */
  maxAgeMs: number;
  /** Bytes per stream; -1 for no limit. */
  maxBytes: number;
  replicas: number;
}

/**
 * Creates Vigie's streams, or brings an existing one's limits in line with the configuration.
 * File storage: a nats-server restart loses nothing that was acknowledged.
 */
export async function ensureStreams(jsm: JetStreamManager, options: StreamOptions): Promise<void> {
  const all = [...KINDS.map((k) => STREAMS[k]), DEADLETTER_STREAM];
  for (const s of all) {
    const config: Partial<StreamConfig> & { name: string } = {
      name: s.name,
      subjects: s.subjects,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: nanos(options.maxAgeMs),
      max_bytes: options.maxBytes,
      num_replicas: options.replicas,
      duplicate_window: nanos(Math.min(options.maxAgeMs, 2 * 60_000)),
    };
    const existing = await jsm.streams.info(s.name).catch(() => undefined);
    if (!existing) {
      await jsm.streams.add(config);
    } else if (existing.config.max_age !== config.max_age || existing.config.max_bytes !== config.max_bytes) {
      await jsm.streams.update(s.name, { ...existing.config, max_age: config.max_age, max_bytes: config.max_bytes, duplicate_window: config.duplicate_window });
    }
  }
}
