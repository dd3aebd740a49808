import { matches, type Labels, type Matchers } from "../alerts/matchers.js";

/** Timing and grouping of a route; children inherit what they do not set. */
export interface RouteOptions {
  receiver: string;
  /** Labels forming a group; `["..."]` groups by every label (no aggregation). */
  groupBy: readonly string[];
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
}

export interface Route extends RouteOptions {
  /** Position in the tree (`0`, `0.1`, `0.1.0`): part of every group key. */
  id: string;
  matchers: Matchers;
  continue: boolean;
  routes: readonly Route[];
}

/** Alertmanager's defaults. */
export const ROUTE_DEFAULTS = { groupBy: ["alertname"], groupWaitMs: 30_000, groupIntervalMs: 300_000, repeatIntervalMs: 4 * 3_600_000 } as const;

/**
 * The routes an alert goes to, as Alertmanager walks its tree: the root takes every alert;
 * children are tried in order, the first match wins unless it says `continue`; a route none of
 * whose children match takes the alert itself.
 */
export function matchRoutes(route: Route, labels: Labels): Route[] {
  const out: Route[] = [];
  for (const child of route.routes) {
    if (!matches(labels, child.matchers)) continue;
    out.push(...matchRoutes(child, labels));
    if (!child.continue) break;
  }
  return out.length > 0 ? out : [route];
}

/** The labels of an alert that name its group on a route. */
export function groupLabels(route: Route, labels: Labels): Labels {
  if (route.groupBy.includes("...")) return labels;
  const out: Record<string, string> = {};
  for (const l of route.groupBy) if (labels[l] !== undefined) out[l] = labels[l];
  return out;
}

export function groupKey(route: Route, groupLabelSet: Labels): string {
  const parts = Object.keys(groupLabelSet)
    .sort()
    .map((k) => `${k}=${JSON.stringify(groupLabelSet[k])}`);
  return `${route.id}:{${parts.join(",")}}`;
}
