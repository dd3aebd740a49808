import type { Principal } from "./tokens.js";

/**
 * The one stack-visibility rule for tokens: a principal limited to stacks sees a resource only
 * when the resource belongs to one of them (`service.namespace`); a resource of no stack is
 * hidden from it. An unlimited principal sees everything.
 */
export function canSeeStack(p: Principal, stack: string | undefined | null): boolean {
  return p.stacks === undefined || (stack !== undefined && stack !== null && stack !== "" && p.stacks.has(stack));
}

/** A filter by that rule, for lists: `items.filter(visible(principal, (c) => c.stack))`. */
export function visible<T>(p: Principal, stackOf: (item: T) => string | undefined | null): (item: T) => boolean {
  if (p.stacks === undefined) return () => true;
  return (item) => canSeeStack(p, stackOf(item));
}
