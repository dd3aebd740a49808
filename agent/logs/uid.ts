import type { ApiCursor } from "./api-tail.js";
import type { FileCursor } from "./file-tail.js";

/**
 * OpenTelemetry's `log.record.uid`: records with the same one are the same record, and the
 * collector stores it once. Vigie derives it from where the record's first line sits in the
 * engine's log, so a line read twice (an agent killed after the spool took its records and
 * before its position was written, a position file lost) gets the same uid both times.
 */
export const RECORD_UID_ATTR = "log.record.uid";

/** Makes the uid of a record from its first line's cursor, that line's engine time, and how many lines it joins. */
export type RecordUid<C> = (at: C, timeUnixNano: string, lines: number) => string;

/** The container in a uid: the 12 characters `docker ps` shows, enough among the records of one node. */
function container(id: string): string {
  return id.slice(0, 12);
}

/**
 * A stack trace joined again after a crash may come out in another shape (its last lines had
 * not arrived the first time, and the timeout sent it early): the line count in the uid keeps
 * both shapes rather than dropping the longer one as a repeat of the shorter.
 */
function joined(lines: number): string {
  return lines > 1 ? `-${lines}` : "";
}

/**
 * A record of a json-file log: the file by inode, the byte offset of the line in it, and the
 * engine's time of the line — an inode freed by rotation can come back for a new file, whose
 * offsets start again at 0, but never with the same times.
 */
export function fileRecordUid(containerId: string): RecordUid<FileCursor> {
  const c = container(containerId);
  return (at, t, lines) => `${c}-f${at.ino.toString(36)}-${at.off.toString(36)}-${nanos36(t)}${joined(lines)}`;
}

/**
 * A record of the engine's log stream: the engine's time of the line and how many entries with
 * that very time came before it (`ApiCursor`), which a stream resumed `since` that time counts
 * again the same way.
 */
export function apiRecordUid(containerId: string): RecordUid<ApiCursor> {
  const c = container(containerId);
  return (at, _t, lines) => `${c}-a${nanos36(at.t)}-${at.n.toString(36)}${joined(lines)}`;
}

/** A decimal nanosecond time (≤ 20 digits, checked where it was parsed) in base 36: 13 characters instead of 19. */
function nanos36(t: string): string {
  return /^\d{1,20}$/.test(t) ? BigInt(t).toString(36) : "0";
}
