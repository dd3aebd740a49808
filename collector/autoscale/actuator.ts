import type Docker from "dockerode";
import { optedIn } from "./policy.js";
import { UPDATE_IN_PROGRESS, type ActuationResult, type Actuator } from "./ports.js";

/** The parts of `docker service inspect` the actuator reads and writes back. */
interface InspectedService {
  ID: string;
  Version?: { Index?: number };
  Spec?: { Name?: string; Labels?: Record<string, string>; Mode?: { Replicated?: { Replicas?: number } } } & Record<string, unknown>;
  UpdateStatus?: { State?: string };
}

export interface DockerActuatorOptions {
  /** Attempts when the engine answers "update out of sequence" (someone else changed the spec). Default 5. */
  attempts?: number;
}

/**
 * Scales a Swarm service through the engine: reads the service, checks it may be touched
 * (opted in with `vigie.autoscale.enabled=true`, replicated, no update or rollback in
 * progress), and writes the same spec back with the new replica count and the version index it
 * read. When another writer got there first the engine answers "update out of sequence": the
 * actuator reads again and retries, re-checking everything, so it never overwrites a change it
 * has not seen. Dry-run does all of it but the write.
 */
export class DockerActuator implements Actuator {
  constructor(
    private readonly docker: Docker,
    private readonly options: DockerActuatorOptions = {},
  ) {}

  async scale(serviceId: string, replicas: number, options: { dryRun?: boolean; signal?: AbortSignal } = {}): Promise<ActuationResult> {
    const max = this.options.attempts ?? 5;
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > 10_000) return { ok: false, reason: "error", message: `refusing to set ${replicas} replicas`, attempts: 0 };
    let lastMessage = "";
    for (let attempt = 1; attempt <= max; attempt++) {
      options.signal?.throwIfAborted();
      const service = this.docker.getService(serviceId);
      let info: InspectedService;
      try {
        info = (await service.inspect()) as InspectedService;
      } catch (err) {
        const e = err as { statusCode?: number; message: string };
        if (e.statusCode === 404) return { ok: false, reason: "not_found", message: `service ${serviceId} no longer exists`, attempts: attempt };
        return { ok: false, reason: "error", message: `cannot read service ${serviceId}: ${e.message}`, attempts: attempt };
      }
      const spec = info.Spec ?? {};
      const name = spec.Name ?? serviceId;
      if (!optedIn(spec.Labels ?? {})) return { ok: false, reason: "not_opted_in", message: `service ${name} has no vigie.autoscale.enabled=true label: not touched`, attempts: attempt };
      const state = info.UpdateStatus?.State;
      if (state && UPDATE_IN_PROGRESS.has(state)) return { ok: false, reason: "update_in_progress", message: `service ${name} update state ${state}: not touched`, attempts: attempt };
      const current = spec.Mode?.Replicated?.Replicas;
      if (current === undefined) return { ok: false, reason: "not_replicated", message: `service ${name} is not a replicated service`, attempts: attempt };
      const version = info.Version?.Index;
      if (version === undefined) return { ok: false, reason: "error", message: `service ${name} has no version index`, attempts: attempt };
      if (options.dryRun || current === replicas) return { ok: true, from: current, to: replicas, version, attempts: attempt, dryRun: options.dryRun ?? false };
      try {
        await service.update({
          _query: { version },
          _body: { ...spec, Mode: { ...spec.Mode, Replicated: { ...spec.Mode?.Replicated, Replicas: replicas } } },
          abortSignal: options.signal,
        });
        return { ok: true, from: current, to: replicas, version, attempts: attempt, dryRun: false };
      } catch (err) {
        lastMessage = (err as Error).message;
        if (!/update out of sequence/i.test(lastMessage)) return { ok: false, reason: "error", message: `cannot update service ${name}: ${lastMessage}`, attempts: attempt };
      }
    }
    return { ok: false, reason: "conflict", message: `service ${serviceId} kept changing under the update (${max} attempts): ${lastMessage}`, attempts: max };
  }
}
