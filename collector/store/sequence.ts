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
  /** Holes given up (too many early arrivals to keep waiting): missing for good. Absent in states stored by older versions. */
  lost?: number;
  /** Times the numbering jumped by more than `MAX_JUMP` and counting started again from there. */
  restarts?: number;
}

/** Holes kept open at most; beyond, the oldest are given up as lost. */
const MAX_HOLES = 10_000;

/**
 * A sequence number this far past everything seen is no gap an agent could leave (it numbers one
 * message at a time): it is a broken or hostile counter, and counting restarts from it instead of
 * reporting the gap as missing (2^53 would read 9e15 missing messages).
 */
export const MAX_JUMP = 1_000_000;

export function emptySequence(): SequenceState {
  return { watermark: 0, above: [], received: 0, duplicates: 0, highest: 0, lost: 0, restarts: 0 };
}

/** Records `seq` (a positive integer); returns false (and counts it) when it was already seen. Mutates `s`. */
export function observeSequence(s: SequenceState, seq: number): boolean {
  if (seq <= s.watermark || s.above.includes(seq)) {
    s.duplicates++;
    return false;
  }
  s.received++;
  if (seq - Math.max(s.highest, s.watermark) > MAX_JUMP) {
    s.restarts = (s.restarts ?? 0) + 1;
    s.watermark = seq;
    s.above = [];
    s.highest = seq;
    return true;
  }
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
    if (s.above.length > MAX_HOLES) {
      s.above.sort((a, b) => a - b);
      const next = s.above.shift() as number;
      s.lost = (s.lost ?? 0) + (next - s.watermark - 1);
      s.watermark = next;
      while (s.above[0] === s.watermark + 1) s.watermark = s.above.shift() as number;
    }
  }
  return true;
}

/** Sequence numbers handed out by the agent that never arrived (so far): open holes plus the given-up ones. */
export function missingCount(s: SequenceState): number {
  const open = s.highest - s.watermark - s.above.length;
  // A state stored before `lost` was kept: its own count, unless a jump past MAX_JUMP inflated it.
  if (s.lost === undefined) return open > MAX_JUMP ? 0 : Math.max(0, s.highest - s.received);
  return s.lost + Math.max(0, open);
}
