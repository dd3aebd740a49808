/** Containers on the local engine: metadata and events from the Docker API, numbers from cgroups. */
export { ContainerSource, type ContainerSourceOptions } from "./source.js";
export { DockerEngine, dockerApi, type DockerApi, type DockerApiOptions, type DockerEngineOptions, type EngineInfo, type EngineListener, type ListedContainer } from "./engine.js";
