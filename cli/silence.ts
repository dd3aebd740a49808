import { parseLabelMatcher, type LabelMatcher } from "../collector/alerts/matchers.js";
import { listAll, type QueryContext } from "./query.js";
import { renderTable } from "./table.js";

interface SilenceView {
  id: string;
  matchers: LabelMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
  state: string;
}

export interface SilenceOptions {
  duration?: string;
  comment?: string;
}

async function send<T>(ctx: QueryContext, method: "POST" | "DELETE", route: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${ctx.apiUrl}${route}`, {
      method,
      headers: { ...(ctx.token ? { authorization: `Bearer ${ctx.token}` } : {}), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (err) {
    throw new Error(`cannot reach the collector at ${ctx.apiUrl} (${(err as Error).message}); is it running?`, { cause: err });
  }
  const answer = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!res.ok) throw new Error(`collector answered ${res.status}: ${answer.error?.message ?? res.statusText}`);
  return answer as T;
}

const show = (m: LabelMatcher) => `${m.name}${m.op}${JSON.stringify(m.value)}`;

/** `vigie silence add MATCHER… [--duration 2h] [--comment TEXT]`, `vigie silence ls`, `vigie silence expire ID`. */
export async function runSilenceCommand(args: readonly string[], ctx: QueryContext, o: SilenceOptions): Promise<void> {
  const [sub, ...rest] = args;
  if (sub === "add") {
    if (rest.length === 0) throw new Error('silence add needs matchers, e.g. vigie silence add alertname=NodeCpuHigh node="web-1" --duration 2h');
    const matchers = rest.map((text) => {
      const m = parseLabelMatcher(text);
      if (typeof m === "string") throw new Error(m);
      return { name: m.name, op: m.op, value: m.value };
    });
    const s = await send<SilenceView>(ctx, "POST", "/api/v1/silences", { matchers, duration: o.duration ?? "1h", ...(o.comment ? { comment: o.comment } : {}) });
    ctx.out(ctx.json ? JSON.stringify(s, null, 2) : `silence ${s.id} until ${s.endsAt}`);
    return;
  }
  if (sub === "ls" || sub === undefined) {
    const silences = await listAll<SilenceView>(ctx, "silences");
    if (ctx.json) return ctx.out(JSON.stringify(silences, null, 2));
    ctx.out(renderTable(["ID", "STATE", "MATCHERS", "ENDS", "BY", "COMMENT"], silences.map((s) => [s.id, s.state, s.matchers.map(show).join(" "), s.endsAt, s.createdBy, s.comment])));
    return;
  }
  if (sub === "expire") {
    const id = rest[0];
    if (!id) throw new Error("silence expire needs the silence's id (vigie silence ls)");
    await send<SilenceView>(ctx, "DELETE", `/api/v1/silences/${encodeURIComponent(id)}`);
    ctx.out(`silence ${id} expired`);
    return;
  }
  throw new Error(`silence: expected add, ls or expire, got ${sub}`);
}
