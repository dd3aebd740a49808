import { setTimeout as sleep } from "node:timers/promises";
import { listLimit, sayCut } from "./paging.js";
import { apiGet, type QueryContext } from "./query.js";

/** Options of `vigie query logs`, merged into the CLI's argument parser. */
export const LOG_QUERY_OPTIONS = {
  service: { type: "string" },
  stack: { type: "string" },
  node: { type: "string" },
  container: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  level: { type: "string" },
  grep: { type: "string" },
  limit: { type: "string" },
  follow: { type: "boolean" },
} as const;

export const LOG_QUERY_HELP = `  query logs [--service S] [--stack S] [--node N] [--container C] [--level error]
             [--since 10m] [--until T] [--grep WORDS] [--limit N] [--follow] [--json]
                        container logs, oldest first; --follow keeps printing new lines`;

/** A record as GET /api/v1/logs returns it (the fields the CLI prints). */
export interface LogLine {
  time: string;
  node: string;
  service: string | null;
  swarmService: string | null;
  container: string | null;
  severity: string;
  severityText?: string;
  body: unknown;
  [k: string]: unknown;
}

interface LogAnswer {
  records: LogLine[];
  next: string | null;
  tail: string;
}

/** How often `--follow` asks for new lines, ms. */
const FOLLOW_INTERVAL_MS = 1000;
/** Records per request: the API's largest page. */
const LOG_PAGE = 1000;

/**
 * `vigie query logs`: the newest `--limit` lines matching the filters, printed oldest first
 * (time, node, service, severity, message); `--json` prints the records themselves, one JSON
 * object per line; `--follow` then keeps asking for what was stored since (the API's tail
 * cursor) until interrupted.
 */
export async function queryLogs(ctx: QueryContext & { signal?: AbortSignal; intervalMs?: number }): Promise<void> {
  const o = ctx.options ?? {};
  const params = new URLSearchParams();
  for (const [flag, param] of [["service", "service"], ["stack", "stack"], ["node", "node"], ["container", "container"], ["level", "severity"], ["grep", "q"]] as const) {
    const v = o[flag];
    if (typeof v === "string") params.set(param, v);
  }
  const limit = listLimit(ctx, 100);
  const pageSize = Math.min(limit, LOG_PAGE);
  params.set("limit", String(pageSize));
  const print = (records: LogLine[]) => {
    for (const r of records) ctx.out(ctx.json ? JSON.stringify(r) : formatLine(r));
  };

  const first = new URLSearchParams(params);
  if (typeof o.since === "string") first.set("since", o.since);
  if (typeof o.until === "string") first.set("until", o.until);
  // Newest first, page after page (`next`), until `--limit` lines.
  const records: LogLine[] = [];
  let page = await apiGet<LogAnswer>(ctx, `/api/v1/logs?${first.toString()}`);
  let tail = page.tail;
  for (;;) {
    records.push(...page.records.slice(0, limit - records.length));
    if (page.next === null || page.records.length === 0) break;
    if (records.length >= limit) {
      sayCut(ctx, `the newest ${limit} log lines; older ones may match too`);
      break;
    }
    first.set("cursor", page.next);
    first.set("limit", String(Math.min(LOG_PAGE, limit - records.length)));
    page = await apiGet<LogAnswer>(ctx, `/api/v1/logs?${first.toString()}`);
  }
  print(records.reverse());
  if (o.follow !== true) return;

  const interval = ctx.intervalMs ?? FOLLOW_INTERVAL_MS;
  while (!ctx.signal?.aborted) {
    const next = new URLSearchParams(params);
    next.set("after", tail);
    const more = await apiGet<LogAnswer>(ctx, `/api/v1/logs?${next.toString()}`);
    print(more.records);
    tail = more.tail;
    // A full answer means more is waiting: ask again at once.
    if (more.records.length < pageSize) await sleep(interval, undefined, { signal: ctx.signal }).catch(() => undefined);
  }
}

/** One readable line: time, node, service, severity, message. Control characters are shown escaped, never sent to the terminal. */
export function formatLine(r: LogLine): string {
  const who = r.swarmService ?? r.service ?? r.container ?? "-";
  return `${r.time}  ${r.node}  ${who}  ${r.severity.padEnd(5)}  ${message(r.body)}`;
}

function message(body: unknown): string {
  let text: string;
  if (typeof body === "string") text = body;
  else if (body && typeof body === "object" && typeof (body as Record<string, unknown>).msg === "string") text = (body as Record<string, string>).msg as string;
  else if (body && typeof body === "object" && typeof (body as Record<string, unknown>).message === "string") text = (body as Record<string, string>).message as string;
  else text = JSON.stringify(body);
  // Continuation lines (a stack trace) are indented under the message; escapes are made visible.
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`).replace(/\r?\n/g, "\n    ");
}
