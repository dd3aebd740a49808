/** The collector: ingests agents' messages into its model of the cluster, serves the API and /metrics. */
export { startCollector, type Collector, type CollectorOptions } from "./collector.js";
export { openModel, ClusterModel, type ModelChange, type ChangeKind, type ChangeListener, type ExtraHandlers, type OpenModelOptions } from "./model/index.js";
