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

describe("sequence accounting under hostile numbers", () => {
  it("restarts counting after a jump no agent could make, instead of reporting 9e15 missing", () => {
    const s = emptySequence();
    observeSequence(s, 1);
    observeSequence(s, 2);
    expect(observeSequence(s, Number.MAX_SAFE_INTEGER - 1)).toBe(true);
    expect(missingCount(s)).toBe(0);
    expect(s.restarts).toBe(1);
    expect(observeSequence(s, Number.MAX_SAFE_INTEGER)).toBe(true);
    expect(observeSequence(s, Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(missingCount(s)).toBe(0);
  });

  it("does the same when the first number seen is huge, and still counts an ordinary gap", () => {
    const s = emptySequence();
    observeSequence(s, 2 ** 52);
    expect(missingCount(s)).toBe(0);
    observeSequence(s, 2 ** 52 + 3);
    expect(missingCount(s)).toBe(2);
  });

  it("keeps given-up holes as missing", () => {
    const s = emptySequence();
    observeSequence(s, 1);
    for (let i = 0; i <= 10_000; i++) observeSequence(s, 10 + i * 2);
    // Holes 2..9 were given up to bound memory; they stay missing.
    expect(s.lost).toBe(8);
    expect(missingCount(s)).toBe(8 + (s.highest - s.watermark - s.above.length));
  });

  it("caps a state stored by an older version that holds a huge jump", () => {
    expect(missingCount({ watermark: 2, above: [9e15], received: 3, duplicates: 0, highest: 9e15 })).toBe(0);
    expect(missingCount({ watermark: 2, above: [6], received: 3, duplicates: 0, highest: 6 })).toBe(3);
  });
});
