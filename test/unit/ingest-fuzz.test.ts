import { describe, expect, it } from "vitest";
import { seededRandom } from "../support/random.js";
import { openModel } from "../../collector/model/index.js";
import { decode, encode, type Envelope } from "../../protocol/index.js";

const seeds: Envelope[] = [
  {
    schema: "vigie.v1",
    kind: "metrics",
    node: { id: "fuzz-node", hostname: "fuzz-host" },
    agent: { version: "0.1.0", bootId: "boot", seq: 1 },
    time: 1_800_000_000_000,
    payload: {
      resources: [
        {
          resource: { "host.name": "fuzz-host" },
          metrics: [
            { name: "system.cpu.time", type: "counter", unit: "s", points: [{ attributes: { "cpu.mode": "idle", "cpu.logical_number": 0 }, value: 10 }] },
            { name: "system.memory.limit", type: "updowncounter", unit: "By", points: [{ value: 1e9 }] },
          ],
        },
      ],
    },
  },
  {
    schema: "vigie.v1",
    kind: "events",
    node: { id: "fuzz-node", hostname: "fuzz-host" },
    agent: { version: "0.1.0", bootId: "boot", seq: 2 },
    time: 1_800_000_000_000,
    payload: { events: [{ timeUnixNano: "1800000000000000000", type: "container", action: "die", resource: { "container.id": "c1" } }] },
  },
];

const TOKENS = ['"', "{", "}", "[", "]", ":", ",", "null", "-1", "1e999", '"vigie.v2"', '"metrics"', "\\u0000", "true", "NaN"];

function mutate(text: string, random: () => number): string {
  const at = Math.floor(random() * (text.length + 1));
  switch (Math.floor(random() * 5)) {
    case 0:
      return text.slice(0, at); // truncated
    case 1:
      return text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 8)); // bytes lost
    case 2:
      return text.slice(0, at) + TOKENS[Math.floor(random() * TOKENS.length)] + text.slice(at); // token inserted
    case 3:
      return text.slice(0, at) + String.fromCharCode(Math.floor(random() * 128)) + text.slice(at + 1); // byte flipped
    default:
      return Array.from({ length: Math.floor(random() * 64) }, () => String.fromCharCode(Math.floor(random() * 256))).join(""); // noise
  }
}

describe("ingest under random and mutated envelopes", () => {
  it("decodes 20,000 mutated messages into a value or an error with a code, and the model takes every accepted one", () => {
    const random = seededRandom(7);
    const model = openModel({ now: () => 1_800_000_000_000 });
    const codes = new Map<string, number>();
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const seed = seeds[i % seeds.length]!;
      let text = Buffer.from(encode({ ...seed, agent: { ...seed.agent, seq: i + 1 } })).toString();
      for (let k = 0, n = 1 + Math.floor(random() * 3); k < n; k++) text = mutate(text, random);
      const result = decode(text, { maxBytes: 64 * 1024 });
      if (result.ok) {
        accepted++;
        expect(() => model.apply(result.value, 1_800_000_000_000 + i)).not.toThrow();
      } else {
        expect(result.error.code).toMatch(/^(oversized|malformed_json|not_an_object|unsupported_version|unknown_kind|invalid|subject_mismatch|too_large)$/);
        expect(result.error.message.length).toBeGreaterThan(0);
        codes.set(result.error.code, (codes.get(result.error.code) ?? 0) + 1);
      }
    }
    model.close(1_800_000_000_000);
    // The mutations reach past JSON syntax into the schema: several kinds of refusal, and some survivors.
    expect(codes.get("malformed_json")).toBeGreaterThan(1000);
    expect(codes.get("invalid")).toBeGreaterThan(50);
    expect(accepted).toBeGreaterThan(50);
  }, 60_000);
});
