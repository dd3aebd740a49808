import { describe, expect, it } from "vitest";
import { emptySequence, missingCount, observeSequence } from "../../collector/store/sequence.js";

describe("sequence accounting", () => {
  it("counts in-order messages with nothing missing", () => {
    const s = emptySequence();
    for (let i = 1; i <= 5; i++) expect(observeSequence(s, i)).toBe(true);
    expect(s).toMatchObject({ watermark: 5, received: 5, duplicates: 0 });
    expect(missingCount(s)).toBe(0);
  });

  it("knows a redelivered message as a duplicate", () => {
    const s = emptySequence();
    observeSequence(s, 1);
    observeSequence(s, 2);
    expect(observeSequence(s, 2)).toBe(false);
    expect(observeSequence(s, 1)).toBe(false);
    expect(s.received).toBe(2);
    expect(s.duplicates).toBe(2);
  });

  it("counts a hole as missing until it is filled", () => {
    const s = emptySequence();
    observeSequence(s, 1);
    observeSequence(s, 4);
    expect(missingCount(s)).toBe(2);
    expect(observeSequence(s, 4)).toBe(false);
    observeSequence(s, 3);
    observeSequence(s, 2);
    expect(missingCount(s)).toBe(0);
    expect(s.watermark).toBe(4);
    expect(s.above).toEqual([]);
  });
});
