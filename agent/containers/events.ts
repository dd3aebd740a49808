import type { Attributes, Event } from "../../protocol/index.js";
import { ATTR } from "../../protocol/index.js";
import { containerResource, imageName } from "./metadata.js";

/** One message of the engine's `/events` stream (the fields Vigie reads). */
export interface DockerEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** The container events handed to the emitter at once. `health_status: healthy` counts as health_status. */
export const FORWARDED_ACTIONS = new Set(["start", "die", "kill", "oom", "health_status", "restart", "destroy"]);

/** Attributes on the event that are not labels: they say what happened, not to whom. */
const EVENT_DETAILS: Record<string, string> = { exitCode: "container.exit_code", signal: "signal" };

/**
 * Splits a Docker event's action into the action and its detail:
 * `health_status: healthy` → [`health_status`, `healthy`], `exec_start: sh -c …` → [`exec_start`, …].
 */
export function splitAction(action: string): [string, string | undefined] {
  const colon = action.indexOf(":");
  return colon < 0 ? [action, undefined] : [action.slice(0, colon), action.slice(colon + 1).trim()];
}

/**
 * A Docker container event as a Vigie `events` record, or undefined for an event Vigie does not
 * forward (exec_*, attach, …). The container's labels arrive with the event, so its resource
 * is complete even when the container is already gone.
 */
export function toVigieEvent(ev: DockerEvent, base: Attributes): Event | undefined {
  if (ev.Type !== "container" || !ev.Action || !ev.Actor?.ID) return undefined;
  const [action, detail] = splitAction(ev.Action);
  if (!FORWARDED_ACTIONS.has(action)) return undefined;
  const attrs = ev.Actor.Attributes ?? {};
  const labels: Record<string, string> = {};
  const attributes: Attributes = {};
  for (const [k, v] of Object.entries(attrs)) {
    const detailName = EVENT_DETAILS[k];
    if (detailName) attributes[detailName] = /^-?\d+$/.test(v) ? Number(v) : v;
    else if (k !== "name" && k !== "image") labels[k] = v;
  }
  if (action === "health_status" && detail) attributes[ATTR.containerHealthStatus] = detail;
  const resource = containerResource({ id: ev.Actor.ID, name: attrs.name ?? "", image: imageName(attrs.image ?? ""), labels }, base);
  const timeUnixNano = ev.timeNano !== undefined ? BigInt(ev.timeNano).toString() : `${ev.time ?? 0}000000000`;
  const out: Event = { timeUnixNano, type: "container", action, resource };
  if (Object.keys(attributes).length > 0) out.attributes = attributes;
  return out;
}
