import { queryLogs } from "./logs.js";
import { queryAutoscale } from "./autoscale.js";
import { gatherPages, listLimit, sayCut } from "./paging.js";
import { bytesHuman, percent, renderTable } from "./table.js";

export interface QueryContext {
  apiUrl: string;
  token?: string;
  json: boolean;
  out: (text: string) => void;
  /** Where notes beside the output go (a list cut short by `--limit`); default stderr. */
  err?: (text: string) => void;
  /** The command line's options, for queries that take filters (`logs`). */
  options?: Readonly<Record<string, string | boolean | undefined>>;
}

interface NodeRow {
  id: string;
  hostname: string;
  lastSeenSecondsAgo: number;
  cpu: { cores: number; utilization?: number } | null;
  memory: { totalBytes: number; usedBytes?: number; utilization?: number } | null;
  status?: string;
}

/** Asks the collector's API; errors carry the API's own message. */
export async function apiGet<T>(ctx: QueryContext, route: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`${ctx.apiUrl}${route}`, { headers: ctx.token ? { authorization: `Bearer ${ctx.token}` } : {} });
  } catch (err) {
    throw new Error(`cannot reach the collector at ${ctx.apiUrl} (${(err as Error).message}); is it running? (vigie up / VIGIE_API_LISTEN)`, { cause: err });
  }
  const body = (await res.json().catch(() => ({}))) as { error?: { message?: string } };
  if (!res.ok) throw new Error(`collector answered ${res.status}: ${body.error?.message ?? res.statusText}`);
  return body as T;
}

/**
 * Every item of `/api/v1/<what>`, page after page, up to `--limit` (default 10,000); when the
 * limit cuts the list short, a note on stderr says so.
 */
export async function listAll<T>(ctx: QueryContext, what: "nodes" | "checks" | "containers" | "services" | "alerts" | "silences"): Promise<T[]> {
  const limit = listLimit(ctx);
  const { items, cut } = await gatherPages<T>(ctx, `/api/v1/${what}`, what, limit);
  if (cut) sayCut(ctx, `the first ${limit} ${what}; the collector holds more`);
  return items;
}

interface CheckRow {
  id: string;
  name: string;
  node: string;
  state: string;
  since: string;
  stale: boolean;
  status: string;
  httpStatusCode: number | null;
  durationSeconds: number;
  error: { type: string; message: string } | null;
}

/** Renderers per `vigie query <what>`; a new resource is a new entry. Lists print every page, up to `--limit`. */
export const QUERIES: Record<string, (ctx: QueryContext) => Promise<void>> = {
  logs: queryLogs,
  autoscale: (ctx) => queryAutoscale(ctx),
  async nodes(ctx) {
    const nodes = await listAll<NodeRow>(ctx, "nodes");
    if (ctx.json) return ctx.out(JSON.stringify(nodes, null, 2));
    ctx.out(
      renderTable(
        ["HOSTNAME", "NODE ID", "STATUS", "LAST SEEN", "CPUS", "CPU", "MEMORY USED", "MEMORY"],
        nodes.map((n) => [
          n.hostname,
          n.id,
          n.status ?? "up",
          `${n.lastSeenSecondsAgo}s ago`,
          n.cpu?.cores,
          percent(n.cpu?.utilization),
          bytesHuman(n.memory?.usedBytes),
          `${bytesHuman(n.memory?.totalBytes)} (${percent(n.memory?.utilization)})`,
        ]),
      ),
    );
  },
  async checks(ctx) {
    const checks = await listAll<CheckRow>(ctx, "checks");
    if (ctx.json) return ctx.out(JSON.stringify(checks, null, 2));
    ctx.out(
      renderTable(
        ["NODE", "CHECK", "STATE", "SINCE", "STATUS", "HTTP", "DURATION", "ERROR"],
        checks.map((c) => [
          c.node,
          c.name === c.id ? c.id : `${c.name} (${c.id})`,
          c.stale ? `${c.state} (stale)` : c.state,
          c.since,
          c.status,
          c.httpStatusCode ?? "",
          `${Math.round(c.durationSeconds * 1000)}ms`,
          c.error ? `${c.error.type}: ${c.error.message.slice(0, 80)}` : "",
        ]),
      ),
    );
  },
  async containers(ctx) {
    const containers = await listAll<ContainerRow>(ctx, "containers");
    if (ctx.json) return ctx.out(JSON.stringify(containers, null, 2));
    ctx.out(
      renderTable(
        ["NODE", "CONTAINER", "STACK", "SERVICE", "SLOT", "STATE", "HEALTH", "CPU", "MEMORY"],
        containers.map((c) => [
          c.node,
          c.name,
          c.stack ?? "",
          c.swarmService ?? c.service ?? "",
          c.slot ?? "",
          c.state ?? "",
          c.health ?? "",
          c.cpuCores === null ? "" : c.cpuCores.toFixed(2),
          bytesHuman(c.memory.workingSetBytes),
        ]),
      ),
    );
  },
  async services(ctx) {
    const services = await listAll<ServiceRow>(ctx, "services");
    if (ctx.json) return ctx.out(JSON.stringify(services, null, 2));
    ctx.out(
      renderTable(
        ["SERVICE", "STACK", "REPLICAS", "HEALTHY", "NODES", "CPU", "MEMORY"],
        services.map((s) => [
          s.name,
          s.stack ?? "",
          s.replicas.desired === null ? `${s.replicas.running}` : `${s.replicas.running}/${s.replicas.desired}`,
          s.replicas.healthy,
          s.nodes.join(","),
          s.cpuCores.toFixed(2),
          bytesHuman(s.memoryWorkingSetBytes),
        ]),
      ),
    );
  },
};

interface ContainerRow {
  node: string;
  name: string;
  stack: string | null;
  service: string | null;
  swarmService: string | null;
  slot: number | null;
  state: string | null;
  health: string | null;
  cpuCores: number | null;
  memory: { workingSetBytes: number | null };
}

interface ServiceRow {
  name: string;
  stack: string | null;
  replicas: { desired: number | null; running: number; healthy: number };
  nodes: string[];
  cpuCores: number;
  memoryWorkingSetBytes: number;
}
