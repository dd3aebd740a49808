import type Docker from "dockerode";
import { Periodic, type Logger } from "../../lib/index.js";
import { buildView, type ApiNode, type ApiService, type ApiTask, type SwarmView, type ViewOptions } from "./model.js";

export type SwarmStatus = "manager" | "not_manager" | "docker_down" | "starting";

export interface SwarmWatcherOptions extends ViewOptions {
  /** How often the manager is asked. Default 10 s. */
  intervalMs: number;
  log: Logger;
  now?: () => number;
  /** Told of every reading (the model takes it from here); not called when a reading fails half-way. */
  onReading?: (status: SwarmStatus, view: SwarmView | undefined) => void;
}

/**
 * Reads nodes, services and tasks from the local engine when it is a Swarm manager. On a
 * worker, or with Docker away, the view is empty and the status says why — never an error
 * that stops the collector.
 */
export class SwarmWatcher {
  status: SwarmStatus = "starting";
  private current: SwarmView | undefined;
  private readonly loop: Periodic;
  private lastLogged: SwarmStatus | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly options: SwarmWatcherOptions,
  ) {
    this.loop = new Periodic(
      { name: "swarm", intervalMs: options.intervalMs, onError: (err) => options.log.warn({ err: (err as Error).message }, "swarm view refresh failed") },
      () => this.refresh(),
    );
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** The latest view, or undefined when this engine is not a reachable manager. */
  view(): SwarmView | undefined {
    return this.current;
  }

  /** Reads the swarm now (the loop does it every interval). */
  refreshNow(): Promise<void> {
    return this.loop.tick();
  }

  private async refresh(): Promise<void> {
    let info: { Swarm?: { ControlAvailable?: boolean; LocalNodeState?: string } };
    try {
      info = (await this.docker.info()) as typeof info;
    } catch (err) {
      this.setStatus("docker_down", (err as Error).message);
      this.current = undefined;
      this.options.onReading?.(this.status, undefined);
      return;
    }
    if (!info.Swarm?.ControlAvailable) {
      this.setStatus("not_manager", `swarm state ${info.Swarm?.LocalNodeState ?? "unknown"}`);
      this.current = undefined;
      this.options.onReading?.(this.status, undefined);
      return;
    }
    const [nodes, services, tasks] = await Promise.all([
      this.docker.listNodes() as Promise<ApiNode[]>,
      this.docker.listServices({ status: true } as Docker.ServiceListOptions) as unknown as Promise<ApiService[]>,
      this.docker.listTasks() as Promise<ApiTask[]>,
    ]);
    this.current = buildView(nodes, services, tasks, (this.options.now ?? Date.now)(), this.options);
    this.setStatus("manager");
    this.options.onReading?.(this.status, this.current);
  }

  private setStatus(status: SwarmStatus, why?: string): void {
    this.status = status;
    if (this.lastLogged === status) return;
    this.lastLogged = status;
    if (status === "manager") this.options.log.info("reading the swarm from this manager");
    else this.options.log.warn({ why }, status === "docker_down" ? "Docker engine unreachable: no swarm view" : "not a swarm manager: no swarm view");
  }
}
