import type { Emitter, PayloadOf } from "../../agent/source.js";
import type { Event, Kind } from "../../protocol/index.js";

export interface EmittedRecord {
  kind: Kind;
  payload: unknown;
  time: number;
}

/** An emitter that keeps what it is handed (for tests of sources); `refuse` makes it reject like a full disk. */
export function recordingEmitter(): Emitter & { records: EmittedRecord[]; events: Event[]; refuse: boolean } {
  const self = {
    records: [] as EmittedRecord[],
    events: [] as Event[],
    refuse: false,
    async emit<K extends Kind>(kind: K, payload: PayloadOf<K>, time: number): Promise<void> {
      if (self.refuse) throw new Error("ENOSPC: no space left on device");
      self.records.push({ kind, payload, time });
      if (kind === "events") self.events.push(...(payload as PayloadOf<"events">).events);
    },
  };
  return self;
}

/** The payloads of one kind, in the order they were emitted. */
export function payloadsOf<K extends Kind>(records: EmittedRecord[], kind: K): PayloadOf<K>[] {
  return records.filter((r) => r.kind === kind).map((r) => r.payload as PayloadOf<K>);
}
