/** The kinds of message an agent publishes. */
export const KINDS = ["metrics", "status", "logs", "events"] as const;
export type Kind = (typeof KINDS)[number];

/** Version tag carried by every envelope and in every subject. */
export const SCHEMA = "vigie.v1";
export const SUBJECT_PREFIX = "vigie.v1";

/** Where the collector puts messages it could not accept (with headers saying why). */
export const DEADLETTER_SUBJECT = "vigie.v1.deadletter";

/**
 * Node ids go into a subject token, so they must not hold `.`, `*`, `>` or whitespace.
 * Swarm node ids (25 base-36 characters) and machine ids (32 hex digits) both fit.
 */
export const NODE_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export function subjectFor(kind: Kind, nodeId: string): string {
  if (!NODE_ID_PATTERN.test(nodeId)) throw new RangeError(`node id ${JSON.stringify(nodeId)} cannot be a subject token`);
  return `${SUBJECT_PREFIX}.${kind}.${nodeId}`;
}

/** Splits `vigie.v1.<kind>.<node-id>`; undefined when the subject is not one of ours. */
export function parseSubject(subject: string): { kind: Kind; nodeId: string } | undefined {
  const parts = subject.split(".");
  if (parts.length !== 4 || `${parts[0]}.${parts[1]}` !== SUBJECT_PREFIX) return undefined;
  const kind = parts[2] as Kind;
  const nodeId = parts[3] ?? "";
  if (!KINDS.includes(kind) || !NODE_ID_PATTERN.test(nodeId)) return undefined;
  return { kind, nodeId };
}

/** JetStream stream per kind; the collector creates them, everybody else only publishes. */
export const STREAMS: Record<Kind, { name: string; subjects: string[] }> = {
  metrics: { name: "VIGIE_METRICS", subjects: [`${SUBJECT_PREFIX}.metrics.>`] },
  status: { name: "VIGIE_STATUS", subjects: [`${SUBJECT_PREFIX}.status.>`] },
  logs: { name: "VIGIE_LOGS", subjects: [`${SUBJECT_PREFIX}.logs.>`] },
  events: { name: "VIGIE_EVENTS", subjects: [`${SUBJECT_PREFIX}.events.>`] },
};
export const DEADLETTER_STREAM = { name: "VIGIE_DEADLETTER", subjects: [DEADLETTER_SUBJECT] };

/** JetStream message id: replaying a batch after a reconnect is deduplicated by the server. */
export function messageId(bootId: string, seq: number): string {
  return `${bootId}:${seq}`;
}

/** Largest message the collector accepts (nats-server's default max_payload is 1 MiB). */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
