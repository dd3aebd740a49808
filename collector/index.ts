/** The collector: ingests agents' messages, keeps the cluster's state, serves the API and /metrics. */
export { startCollector, type Collector, type CollectorOptions } from "./collector.js";
