import type { Readable } from "node:stream";
import type { Attributes, LogRecord } from "../../protocol/index.js";

/** A running container as log collection needs to know it. */
export interface LogContainer {
  /** Full 64-hex id. */
  id: string;
  name: string;
  /** Container labels, with its Swarm service's labels under them when known (`vigie.logs=false` opts out). */
  labels: Record<string, string>;
  /** The engine's log driver: `json-file`, `local`, `journald`, … */
  logDriver: string;
  /** The json-file driver's file on the host (`/var/lib/docker/containers/<id>/<id>-json.log`), else "". */
  logPath: string;
  /** Started with a TTY: the API stream is raw, not multiplexed, and stdout only. */
  tty: boolean;
  /** The OTel resource of its records: node, stack, service, task slot, container. */
  resource: Attributes;
}

/** Lists the running containers of the local engine. Throws when the engine does not answer. */
export type ContainerLister = () => Promise<LogContainer[]>;

/**
 * Opens the engine's log stream of one container (`GET /containers/{id}/logs?follow=1&stdout=1&
 * stderr=1&timestamps=1[&since=<s.ns>]`): multiplexed (8-byte frame headers) unless the
 * container has a TTY. Ends when the container stops or the engine goes away.
 */
export type LogStreamOpener = (id: string, since: string | undefined, signal: AbortSignal) => Promise<Readable>;

/**
 * Where records go: the agent's emitter, which writes them ahead to the spool. Resolving means
 * accepted (the position is committed after it); throwing means not taken (they are read again).
 */
export type LogSink = (records: LogRecord[]) => void | Promise<void>;
