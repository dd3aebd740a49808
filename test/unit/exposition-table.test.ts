import { describe, expect, it } from "vitest";
import { LatestMetrics } from "../../collector/history/latest.js";
import { ExpositionRenderer } from "../../collector/exposition/render.js";
import { EXPOSITION_MAPPING, type Metric, type MappingRow } from "../../protocol/index.js";

const CONTAINER_RESOURCE = {
  "container.id": "c0ffee",
  "container.name": "shop_web.1.abc",
  "container.image.name": "shop/web",
  "docker.swarm.service.name": "shop_web",
  "service.namespace": "shop",
  "service.name": "web",
};

/**
 * One point per row, carrying what the row asks for: the first value each `when` allows, and
 * each label's first source (with a value the row translates, when it has one). Values number the
 * rows, so that a row summing or picking points shows in the text.
 */
function pointFor(row: MappingRow, index: number): Metric["points"][number] {
  const attributes: Record<string, string> = {};
  for (const [key, allowed] of Object.entries(row.when ?? {})) attributes[key] = typeof allowed === "string" ? allowed : (allowed[0] as string);
  for (const [label, source] of Object.entries(row.labels ?? {})) {
    const attr = typeof source === "string" ? source : (source[0] as string);
    attributes[attr] = Object.keys(row.values?.[label] ?? {})[0] ?? `${label}-${index}`;
  }
  return { value: index + 1, attributes };
}

/** The whole exposition of one host and one container whose agent sent every wire metric of the table. */
function renderEveryRow(rows: readonly MappingRow[]): string {
  const byTarget = { host: new Map<string, Metric>(), container: new Map<string, Metric>() };
  rows.forEach((row, i) => {
    const metrics = byTarget[row.target];
    const metric = metrics.get(row.otel) ?? { name: row.otel, type: "gauge" as const, unit: "1", points: [] };
    metric.points.push(pointFor(row, i));
    metrics.set(row.otel, metric);
  });
  const latest = new LatestMetrics();
  latest.apply({
    schema: "vigie.v1", kind: "metrics", node: { id: "n1", hostname: "web-1" }, agent: { version: "t", bootId: "b", seq: 1 }, time: 1_700_000_000_000,
    payload: {
      resources: [
        { resource: { "host.name": "web-1" }, metrics: [...byTarget.host.values()] },
        { resource: CONTAINER_RESOURCE, metrics: [...byTarget.container.values()] },
      ],
    },
  });
  return new ExpositionRenderer().render(latest.nodes());
}

describe("exposition name table", () => {
  it("renders every family of the table, each with its series, as recorded", async () => {
    const text = renderEveryRow(EXPOSITION_MAPPING);
    const families = text.split("\n").filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2]);
    expect(new Set(families)).toEqual(new Set(EXPOSITION_MAPPING.map((r) => r.prom).concat("container_last_seen")));
    // The recorded text: a change of the table's form must leave it as it is; a new row changes it
    // on purpose (then `vitest run -u` records the new text, to be read in the diff).
    await expect(text).toMatchFileSnapshot("./__snapshots__/exposition-table.txt");
  });
});
