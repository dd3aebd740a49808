import { MAX_PAGE } from "../collector/api/paging.js";
import { apiGet, type QueryContext } from "./query.js";

/** Items a list query prints when `--limit` is not given. */
export const DEFAULT_LIST_LIMIT = 10_000;
/** The largest `--limit`: a million rows is already more than a terminal or a pipe wants. */
export const MAX_LIST_LIMIT = 1_000_000;

/** `--limit` of a list query: a whole number from 1 to `MAX_LIST_LIMIT`, or `fallback` when absent. */
export function listLimit(ctx: QueryContext, fallback = DEFAULT_LIST_LIMIT): number {
  const text = ctx.options?.limit;
  if (text === undefined || typeof text !== "string") return fallback;
  const n = /^\d{1,7}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!(n >= 1 && n <= MAX_LIST_LIMIT)) throw new Error(`--limit must be a whole number from 1 to ${MAX_LIST_LIMIT}, not ${JSON.stringify(text)}`);
  return n;
}

/** What a list query gathered: its items, and whether the collector held more than the limit. */
export interface Gathered<T> {
  items: T[];
  cut: boolean;
}

/**
 * Every item of a paged list route (`?limit=&offset=`, answers `{ [key]: T[], next }`), following
 * `next` from page to page until the last page or `limit` items. Pages are asked for one after the
 * other, so the list may change between two of them (an item may then show twice or not at all),
 * as with any offset-paged listing. An answer that would not move forward (a `next` not past the
 * page asked for) ends the walk with an error rather than looping.
 */
export async function gatherPages<T>(ctx: QueryContext, route: string, key: string, limit: number): Promise<Gathered<T>> {
  const items: T[] = [];
  let offset = 0;
  for (;;) {
    const want = Math.min(MAX_PAGE, limit - items.length);
    const answer = await apiGet<Record<string, unknown>>(ctx, withParams(route, { limit: want, offset }));
    const page = answer[key];
    if (!Array.isArray(page)) throw new Error(`the collector's answer to ${route} has no ${key} list`);
    items.push(...(page.slice(0, want) as T[]));
    const next = answer.next;
    if (next === null || next === undefined) return { items, cut: false };
    if (typeof next !== "number" || !Number.isSafeInteger(next) || next <= offset || page.length === 0) {
      throw new Error(`the collector's answer to ${route} does not move to a next page (offset ${offset}, next ${JSON.stringify(next)})`);
    }
    if (items.length >= limit) return { items, cut: true };
    offset = next;
  }
}

/** `route` with `params` set in its query string (kept apart from the parameters it already has). */
export function withParams(route: string, params: Readonly<Record<string, string | number>>): string {
  const url = new URL(route, "http://collector");
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
  return `${url.pathname}${url.search}`;
}

/** Says on stderr (the table or the JSON on stdout stays whole) what `--limit` left out: `shown` is a phrase ("the first 10000 nodes; the collector holds more"). */
export function sayCut(ctx: QueryContext, shown: string): void {
  const err = ctx.err ?? ((text: string) => process.stderr.write(`${text}\n`));
  err(`vigie: showing ${shown} (raise --limit, at most ${MAX_LIST_LIMIT}, or narrow the query)`);
}
