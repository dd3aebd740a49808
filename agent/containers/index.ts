/** Containers on the local engine: metadata and events from the Docker API, numbers from cgroups. */
export { ContainerSource, type ContainerSourceOptions } from "./source.js";
export { dockerApi, type DockerApi, type DockerApiOptions, type EngineInfo } from "./engine.js";
