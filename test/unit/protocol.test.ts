import { describe, expect, it } from "vitest";
import { decode, encode, parseSubject, subjectFor, messageId, type Envelope } from "../../protocol/index.js";

const valid = (): Envelope => ({
  schema: "vigie.v1",
  kind: "metrics",
  node: { id: "n1abc", hostname: "worker-1.example.org" },
  agent: { version: "0.1.0", bootId: "b1", seq: 7 },
  time: 1_764_000_000_000,
  payload: {
    resources: [
      {
        resource: { "host.name": "worker-1.example.org", "node.id": "n1abc" },
        metrics: [{ name: "system.cpu.time", type: "counter", unit: "s", points: [{ attributes: { "cpu.mode": "idle", "cpu.logical_number": 0 }, value: 12.5 }] }],
      },
    ],
  },
});

const json = (v: unknown) => JSON.stringify(v);

describe("subjects", () => {
  it("builds vigie.v1.<kind>.<node-id> and parses it back", () => {
    expect(subjectFor("metrics", "n1abc")).toBe("vigie.v1.metrics.n1abc");
    expect(parseSubject("vigie.v1.logs.n1abc")).toEqual({ kind: "logs", nodeId: "n1abc" });
  });
  it("refuses node ids that would break a subject token", () => {
    expect(() => subjectFor("metrics", "host.with.dots")).toThrow(/subject token/);
    expect(() => subjectFor("metrics", "a b")).toThrow();
    expect(parseSubject("vigie.v1.metrics.a.b")).toBeUndefined();
    expect(parseSubject("vigie.v2.metrics.a")).toBeUndefined();
    expect(parseSubject("vigie.v1.weather.a")).toBeUndefined();
  });
  it("derives the JetStream message id from bootId and seq", () => {
    expect(messageId("boot", 42)).toBe("boot:42");
  });
});

describe("decode", () => {
  it("returns the typed envelope of a valid message, from bytes or string", () => {
    const r = decode(encode(valid()));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.kind).toBe("metrics");
      expect(r.value.agent.seq).toBe(7);
    }
    expect(decode(json(valid())).ok).toBe(true);
  });

  it("says malformed JSON is malformed", () => {
    const r = decode("{not json");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe("malformed_json");
      expect(r.error.message).toMatch(/not valid JSON/);
    }
  });

  it("says a truncated message is malformed", () => {
    const text = json(valid());
    const r = decode(text.slice(0, Math.floor(text.length / 2)));
    expect(!r.ok && r.error.code).toBe("malformed_json");
  });

  it("refuses an unknown schema version, naming it", () => {
    const r = decode(json({ ...valid(), schema: "vigie.v2" }));
    expect(!r.ok && r.error.code).toBe("unsupported_version");
    expect(!r.ok && r.error.message).toMatch(/"vigie\.v2".*vigie\.v1/);
  });

  it("refuses an unknown kind", () => {
    const r = decode(json({ ...valid(), kind: "weather" }));
    expect(!r.ok && r.error.code).toBe("unknown_kind");
    expect(!r.ok && r.error.path).toBe("kind");
  });

  it("refuses a message larger than the limit before parsing it", () => {
    const r = decode(json(valid()), { maxBytes: 100 });
    expect(!r.ok && r.error.code).toBe("oversized");
    expect(!r.ok && r.error.message).toMatch(/exceeds the limit of 100/);
  });

  it("names the path of a missing field", () => {
    const env = valid() as unknown as { agent: Record<string, unknown> };
    delete env.agent.seq;
    const r = decode(json(env));
    expect(!r.ok && r.error.code).toBe("invalid");
    expect(!r.ok && r.error.path).toBe("agent.seq");
  });

  it("names the path of a wrong value deep in the payload", () => {
    const env = valid();
    (env.payload as unknown as { resources: { metrics: { points: { value: unknown }[] }[] }[] }).resources[0]!.metrics[0]!.points[0]!.value = "12";
    const r = decode(json(env));
    expect(!r.ok && r.error.path).toBe("payload.resources[0].metrics[0].points[0].value");
  });

  it("refuses a payload that does not match its kind", () => {
    const r = decode(json({ ...valid(), kind: "logs" }));
    expect(!r.ok && r.error.code).toBe("invalid");
    expect(!r.ok && r.error.path).toMatch(/^payload/);
  });

  it("refuses JSON that is not an object", () => {
    for (const text of ["null", "[]", "42", '"x"']) {
      const r = decode(text);
      expect(!r.ok && r.error.code).toBe("not_an_object");
    }
  });

  it("checks the envelope against the subject it came on", () => {
    expect(decode(json(valid()), { subject: "vigie.v1.metrics.n1abc" }).ok).toBe(true);
    const other = decode(json(valid()), { subject: "vigie.v1.metrics.someone-else" });
    expect(!other.ok && other.error.code).toBe("subject_mismatch");
    const kind = decode(json(valid()), { subject: "vigie.v1.logs.n1abc" });
    expect(!kind.ok && kind.error.code).toBe("subject_mismatch");
  });

  it("refuses a node id that cannot be a subject token", () => {
    const r = decode(json({ ...valid(), node: { id: "a.b", hostname: "x" } }));
    expect(!r.ok && r.error.path).toBe("node.id");
  });
});

describe("decode bounds hostile messages", () => {
  it("refuses seq 0 (agents number from 1) as invalid, naming the field", () => {
    const r = decode(json({ ...valid(), agent: { version: "0.1.0", bootId: "b1", seq: 0 } }));
    expect(!r.ok && [r.error.code, r.error.path]).toEqual(["invalid", "agent.seq"]);
  });

  it("refuses a metrics message past its bounds as too_large: points, attributes, resources", () => {
    const v = valid() as Extract<Envelope, { kind: "metrics" }>;
    const many = { ...v, payload: { resources: [{ resource: {}, metrics: [{ name: "m", type: "gauge", unit: "1", points: Array.from({ length: 10_001 }, () => ({ value: 1 })) }] }] } };
    expect((decode(json(many)) as { error: { code: string } }).error.code).toBe("too_large");
    const attrs = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i]));
    const wide = { ...v, payload: { resources: [{ resource: attrs, metrics: [] }] } };
    expect((decode(json(wide)) as { error: { code: string } }).error.code).toBe("too_large");
    const spread = { ...v, payload: { resources: Array.from({ length: 2001 }, () => ({ resource: {}, metrics: [] })) } };
    expect((decode(json(spread)) as { error: { code: string } }).error.code).toBe("too_large");
    const total = { ...v, payload: { resources: Array.from({ length: 11 }, () => ({ resource: {}, metrics: [{ name: "m", type: "gauge", unit: "1", points: Array.from({ length: 10_000 }, () => ({ value: 1 })) }] })) } };
    expect((decode(json(total), { maxBytes: 64 << 20 }) as { error: { code: string } }).error.code).toBe("too_large");
  });

  it("refuses a log record nested deeper than 16 levels as too_large", () => {
    let body: unknown = "x";
    for (let d = 0; d < 20; d++) body = { d: body };
    const logs = { ...valid(), kind: "logs", payload: { records: [{ timeUnixNano: "1", severityNumber: 9, body, resource: {} }] } };
    expect((decode(json(logs)) as { error: { code: string } }).error.code).toBe("too_large");
    const flat = { ...logs, payload: { records: [{ timeUnixNano: "1", severityNumber: 9, body: { a: { b: 1 } }, resource: {} }] } };
    expect(decode(json(flat)).ok).toBe(true);
  });
});
