import type { ResourceMetrics } from "../protocol/index.js";

/**
 * Something the agent samples every interval (the host, the containers, …). A source returns
 * the metrics of one or more resources; an expected failure (Docker down) is reported through
 * its own metrics and an empty result, not an exception.
 */
export interface MetricSource {
  readonly name: string;
  sample(signal: AbortSignal): Promise<ResourceMetrics[]>;
  close?(): Promise<void>;
}
