/**
 * Which sequence numbers of one agent boot have been seen: everything up to `watermark`, plus
 * the few above it that arrived early. Tells duplicates from new messages and counts what is
 * missing — messages an agent numbered but the collector never got.
 */
export interface SequenceState {
  watermark: number;
  above: number[];
  received: number;
  duplicates: number;
  highest: number;
}

export function emptySequence(): SequenceState {
  return { watermark: 0, above: [], received: 0, duplicates: 0, highest: 0 };
}

/** Records `seq`; returns false (and counts it) when it was already seen. Mutates `s`. */
export function observeSequence(s: SequenceState, seq: number): boolean {
  if (seq <= s.watermark || s.above.includes(seq)) {
    s.duplicates++;
    return false;
  }
  s.received++;
  if (seq > s.highest) s.highest = seq;
  if (seq === s.watermark + 1) {
    s.watermark = seq;
    if (s.above.length > 0) {
      s.above.sort((a, b) => a - b);
      while (s.above[0] === s.watermark + 1) s.watermark = s.above.shift() as number;
    }
  } else {
    s.above.push(seq);
    // Bound the memory of one boot's holes: far-behind holes are given up as lost.
    if (s.above.length > 10_000) {
      s.above.sort((a, b) => a - b);
      s.watermark = (s.above.shift() as number);
      while (s.above[0] === s.watermark + 1) s.watermark = s.above.shift() as number;
    }
  }
  return true;
}

/** Sequence numbers handed out by the agent that never arrived (so far). */
export function missingCount(s: SequenceState): number {
  return s.highest - s.received;
}
