import { MAX_MESSAGE_BYTES, type LogRecord } from "../../protocol/index.js";
import type { Emitter } from "../source.js";
import type { LogSink } from "./ports.js";

/** Room left in a message for the envelope around the records (identity, boot id, seq, time). */
const ENVELOPE_ROOM = 16 * 1024;
/** Most records one `logs` message may carry (the wire's bound, `protocol/envelope.ts`). */
export const MAX_RECORDS_PER_MESSAGE = 10_000;

/**
 * Records cut into batches whose JSON fits in `maxBytes` and `maxRecords`, in order. A record
 * larger than the budget alone goes in a batch of its own (the collector dead-letters it, the
 * others still arrive); the pipeline's bounds (line and multi-line sizes, attribute count) keep
 * such a record from happening in practice.
 */
export function splitRecords(records: readonly LogRecord[], maxBytes = MAX_MESSAGE_BYTES - ENVELOPE_ROOM, maxRecords = MAX_RECORDS_PER_MESSAGE): LogRecord[][] {
  const out: LogRecord[][] = [];
  let batch: LogRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    // JSON.stringify's length in UTF-8 plus the separating comma.
    const size = Buffer.byteLength(JSON.stringify(r)) + 1;
    if (batch.length > 0 && (bytes + size > maxBytes || batch.length >= maxRecords)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(r);
    bytes += size;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

/**
 * The agent's emitter as a log sink: each batch a `logs` message, written ahead to the spool.
 * The sink resolves once every batch was accepted and rejects on the first refusal, so the
 * follower keeps its position before all of them (batches already accepted are then sent again
 * with the rest: a refused spool write repeats at most one read's records, never loses them).
 */
export function emitterSink(emitter: Emitter, now: () => number): LogSink {
  return async (records) => {
    for (const batch of splitRecords(records)) await emitter.emit("logs", { records: batch }, now());
  };
}
