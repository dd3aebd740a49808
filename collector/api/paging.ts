/**
 * Pages of a list route: `limit` items from `offset`, and `next`, the offset of the following
 * page (null on the last). One answer never carries more than `MAX_PAGE` items, so a cluster of
 * thousands of nodes, containers or checks cannot make one answer block the loop for seconds.
 */
export const MAX_PAGE = 1000;

export interface PageQuery {
  limit?: number;
  offset?: number;
}

/** Querystring properties of a paged route (merge into its schema). */
export const PAGE_PARAMS = {
  limit: { type: "integer", minimum: 1, maximum: MAX_PAGE, default: MAX_PAGE, description: `Items per page (at most ${MAX_PAGE})` },
  offset: { type: "integer", minimum: 0, maximum: 100_000_000, default: 0, description: "Items to skip: the `next` of the previous page" },
} as const;

/** Response property `next`. */
export const NEXT = { type: ["integer", "null"], description: "Offset of the next page; null on the last" } as const;

export function page<T>(items: readonly T[], q: PageQuery): { items: T[]; next: number | null } {
  const offset = q.offset ?? 0;
  const limit = Math.min(q.limit ?? MAX_PAGE, MAX_PAGE);
  const end = offset + limit;
  return { items: items.slice(offset, end), next: end < items.length ? end : null };
}
