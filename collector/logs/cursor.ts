/**
 * Opaque cursors of GET /api/v1/logs. A page cursor is the position (time, id) of the last
 * record a newest-first page returned: the next page continues strictly before it. A tail cursor
 * is the highest record id stored when it was given: asking with it returns what arrived since.
 * Both are base64url text so that clients treat them as tokens, not as numbers to compute with.
 */
export interface PageCursor {
  time: number;
  id: number;
}

export function encodePage(c: PageCursor): string {
  return Buffer.from(`p1.${c.time}.${c.id}`).toString("base64url");
}

export function encodeTail(id: number): string {
  return Buffer.from(`t1.${id}`).toString("base64url");
}

export function decodePage(text: string): PageCursor | undefined {
  const m = /^p1\.(-?\d{1,16})\.(\d{1,16})$/.exec(decode(text));
  if (!m) return undefined;
  const c = { time: Number(m[1]), id: Number(m[2]) };
  return Number.isSafeInteger(c.time) && Number.isSafeInteger(c.id) ? c : undefined;
}

export function decodeTail(text: string): number | undefined {
  const m = /^t1\.(\d{1,16})$/.exec(decode(text));
  const id = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(id) ? id : undefined;
}

function decode(text: string): string {
  return text.length <= 64 && /^[A-Za-z0-9_-]+$/.test(text) ? Buffer.from(text, "base64url").toString("latin1") : "";
}
