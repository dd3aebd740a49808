import type { Attributes, Metric, ResourceMetrics } from "./envelope.js";

/**
 * One resource's metrics that its source already wrote as JSON bytes (the agent's containers,
 * where building the object tree, stringifying it and encoding the string was most of a cycle's
 * cost). `encode` copies the bytes into the envelope as they are; anything else that reads it as
 * a `ResourceMetrics` gets it parsed, once.
 */
export class EncodedResource implements ResourceMetrics {
  private parsed: ResourceMetrics | undefined;

  /** `bytes` is one ResourceMetrics object as UTF-8 JSON; `points` how many data points it holds. */
  constructor(
    readonly bytes: Uint8Array,
    readonly points: number,
  ) {}

  /** The JSON as text. */
  get json(): string {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength).toString("utf8");
  }

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
