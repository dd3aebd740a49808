import type { Attributes, Metric, ResourceMetrics } from "./envelope.js";

/**
 * One resource's metrics that its source already wrote as JSON (the agent's containers, where
 * building the object tree and then stringifying it was most of a cycle's cost). `encode` puts
 * the text into the envelope as it is; anything else that reads it as a `ResourceMetrics` gets
 * it parsed, once.
 */
export class EncodedResource implements ResourceMetrics {
  private parsed: ResourceMetrics | undefined;

  /** `json` is one ResourceMetrics object; `points` how many data points it holds. */
  constructor(
    readonly json: string,
    readonly points: number,
  ) {}

  get resource(): Attributes {
    return this.decoded().resource;
  }

  get metrics(): Metric[] {
    return this.decoded().metrics;
  }

  toJSON(): ResourceMetrics {
    return this.decoded();
  }

  private decoded(): ResourceMetrics {
    return (this.parsed ??= JSON.parse(this.json) as ResourceMetrics);
  }
}

/** How many data points a resource's metrics hold. */
export function pointCount(rm: ResourceMetrics): number {
  if (rm instanceof EncodedResource) return rm.points;
  let n = 0;
  for (const m of rm.metrics) n += m.points.length;
  return n;
}
