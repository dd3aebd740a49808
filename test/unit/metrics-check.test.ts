import { describe, expect, it } from "vitest";
import { seededRandom } from "../support/random.js";
import { MetricsPayload, checkMetricsPayload } from "../../protocol/index.js";

/** A realistic payload: the host and a few containers. */
function payload(): Record<string, unknown> {
  const container = (i: number) => ({
    resource: { "host.name": "worker-1", "container.id": `c${i}`, "container.name": `shop_api.${i}.x`, "docker.swarm.task.slot": i },
    metrics: [
      { name: "container.cpu.time", type: "counter", unit: "s", points: [{ attributes: { "cpu.mode": "user" }, value: 12.5 }, { attributes: { "cpu.mode": "system" }, value: 3 }] },
      { name: "container.memory.usage", type: "updowncounter", unit: "By", points: [{ value: 1e8 }] },
      { name: "vigie.container.healthy", type: "gauge", unit: "1", points: [{ attributes: { ok: true }, value: 1 }] },
    ],
  });
  return { resources: [{ resource: { "host.name": "worker-1" }, metrics: [{ name: "system.cpu.time", type: "counter", unit: "s", points: [] }] }, container(1), container(2)], containersComplete: true };
}

const ODD_VALUES: unknown[] = [null, "12", 12, -0, 1e308, true, [], {}, "", "x".repeat(5000), { value: 1 }, [1, 2], undefined];

/** Every object/array slot of a value, as [container, key]. */
function slots(v: unknown, out: [Record<string | number, unknown>, string | number][] = []): [Record<string | number, unknown>, string | number][] {
  if (typeof v === "object" && v !== null) {
    for (const k of Object.keys(v)) {
      out.push([v as Record<string, unknown>, Array.isArray(v) ? Number(k) : k]);
      slots((v as Record<string, unknown>)[k], out);
    }
  }
  return out;
}

describe("checkMetricsPayload", () => {
  it("accepts what the schema accepts", () => {
    expect(checkMetricsPayload(payload())).toBeUndefined();
    expect(MetricsPayload.safeParse(payload()).success).toBe(true);
  });

  it("names the path of the fault", () => {
    const p = payload() as { resources: { metrics: { points: { value: unknown }[] }[] }[] };
    p.resources[1]!.metrics[0]!.points[1]!.value = "3";
    expect(checkMetricsPayload(p)).toEqual({ path: ["payload", "resources", 1, "metrics", 0, "points", 1, "value"], message: "Expected number, received string" });
  });

  it("names the path of a fault in attributes, of a resource and of a point", () => {
    const p = payload() as { resources: { resource: unknown; metrics: { points: { attributes?: unknown }[] }[] }[] };
    p.resources[0]!.resource = { "host.name": ["worker-1"] };
    expect(checkMetricsPayload(p)).toEqual({ path: ["payload", "resources", 0, "resource", "host.name"], message: "Expected string | number | boolean, received array" });
    const q = payload() as typeof p;
    q.resources[2]!.metrics[0]!.points[1]!.attributes = "user";
    expect(checkMetricsPayload(q)).toEqual({ path: ["payload", "resources", 2, "metrics", 0, "points", 1, "attributes"], message: "Expected object, received string" });
    const r = payload() as typeof p;
    r.resources[1]!.metrics[0]!.points[0]!.attributes = { "cpu.mode": Infinity };
    expect(checkMetricsPayload(r)).toEqual({ path: ["payload", "resources", 1, "metrics", 0, "points", 0, "attributes", "cpu.mode"], message: "Number must be finite" });
  });

  it("takes containersComplete as a boolean or not at all", () => {
    const { containersComplete: _, ...without } = payload();
    expect(checkMetricsPayload(without)).toBeUndefined();
    expect(checkMetricsPayload({ ...payload(), containersComplete: false })).toBeUndefined();
    expect(checkMetricsPayload({ ...payload(), containersComplete: "yes" })).toEqual({ path: ["payload", "containersComplete"], message: "Expected boolean, received string" });
    expect(MetricsPayload.safeParse({ ...payload(), containersComplete: "yes" }).success).toBe(false);
  });

  it("agrees with the zod schema on 5,000 mutated payloads", () => {
    const random = seededRandom(42);
    let rejected = 0;
    for (let i = 0; i < 5000; i++) {
      const p = payload();
      const all = slots(p);
      for (let k = 0; k < 1 + Math.floor(random() * 2); k++) {
        const [container, key] = all[Math.floor(random() * all.length)]!;
        if (random() < 0.15 && !Array.isArray(container)) delete container[key];
        else container[key] = ODD_VALUES[Math.floor(random() * ODD_VALUES.length)];
      }
      const zodOk = MetricsPayload.safeParse(p).success;
      const handOk = checkMetricsPayload(p) === undefined;
      if (zodOk !== handOk) throw new Error(`disagree (zod ${zodOk}, hand ${handOk}) on ${JSON.stringify(p)}`);
      if (!zodOk) rejected++;
    }
    expect(rejected).toBeGreaterThan(1000);
  });
});
