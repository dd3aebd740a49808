import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../agent/index.js";
import { AlertsSectionSchema } from "../../collector/alerts/index.js";
import { AutoscaleSectionSchema } from "../../collector/autoscale/index.js";
import { startCollector, type Collector } from "../../collector/index.js";
import { buildDashboards, panelQueries, substitute, variableQueries, type DashboardName } from "../../dashboards/index.js";
import { subjectFor } from "../../protocol/index.js";
import { BUSYBOX, DOCKER_SOCKET, ensureDocker, removeContainer, removeService, uniqueName } from "../support/docker.js";
import { testLog } from "../support/log.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { startPrometheus, type Prometheus } from "../support/prometheus.js";

/**
 * Every panel of every dashboard against real data: a real agent on the real Docker engine and a
 * real collector (with its Swarm view) fed through a real nats-server, scraped by a real
 * Prometheus; each panel's queries, variables substituted, go to Prometheus' HTTP API. The
 * collector also runs an alert rule (on the service short of its replicas), the autoscaler (on a
 * service that opted in) and its log store (fed by a container that writes error lines).
 */

/**
 * Panels (or one query of a panel: `<panel> <refId>`) that cannot get data here, with the reason:
 * checked to parse, not to return data. A listed one that answers fails the test, to be taken off.
 */
const NO_DATA: Record<string, string> = {
  "autoscaling / Replicas against bounds C": "vigie_autoscale_min_replicas is in protocol's table, but the autoscaler does not expose it (collector/autoscale/metrics.ts)",
  "autoscaling / Replicas against bounds D": "vigie_autoscale_max_replicas is in protocol's table, but the autoscaler does not expose it (collector/autoscale/metrics.ts)",
  "pipeline-health / Agent CPU per node": "the agent runs here as a process, not as the stack's <stack>_agent service whose containers are measured",
  "pipeline-health / Agent memory per node": "the agent runs here as a process, not as the stack's <stack>_agent service whose containers are measured",
};

/** A query Prometheus answered: its samples, or the error that says why it did not parse. */
async function ask(url: string, expr: string): Promise<{ error?: string; result: unknown[] }> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
  return body.status === "success" ? { result: body.data?.result ?? [] } : { error: body.error ?? `HTTP ${res.status}`, result: [] };
}

describe("every dashboard panel's query returns data from a real Prometheus scraping a real collector", () => {
  let docker: Docker;
  let nats: NatsServer;
  let nc: NatsConnection;
  let collector: Collector;
  let agent: Agent;
  let prometheus: Prometheus | undefined;
  let http: Server;
  let https: Server;
  const dirs: string[] = [];
  const containers: string[] = [];
  const services: string[] = [];
  const sockets = new Set<Socket>();
  const stack = uniqueName("dash");
  const hostname = uniqueName("dash-node");
  const web = `${stack}_web`;
  const crash = `${stack}_crash`;
  const scaled = `${stack}_scaled`;
  const alertname = `Dash${uniqueName("rule").replace(/[^A-Za-z0-9]/g, "")}`;
  const checkService = uniqueName("dash-web");
  const tmp = (what: string) => {
    const d = mkdtempSync(path.join(tmpdir(), `vigie-dash-${what}-`));
    dirs.push(d);
    return d;
  };
  const listen = (s: Server) => new Promise<number>((resolve) => s.listen(0, "127.0.0.1", () => resolve((s.address() as { port: number }).port)));

  beforeAll(async () => {
    docker = await ensureDocker();
    nats = await startNats();
    nc = await connect({ servers: nats.url });

    // Endpoints for the checks: a TLS one that answers 200 (certificate expiry), a plain one that answers 500.
    const certDir = tmp("tls");
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=localhost",
      "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", path.join(certDir, "key.pem"), "-out", path.join(certDir, "cert.pem"),
    ], { stdio: "ignore" });
    https = createHttpsServer({ key: readFileSync(path.join(certDir, "key.pem")), cert: readFileSync(path.join(certDir, "cert.pem")) }, (_q, r) => r.end("ok"));
    http = createHttpServer((_q, r) => r.writeHead(500).end("boom"));
    for (const s of [http, https]) s.on("connection", (c: Socket) => sockets.add(c));
    const [httpPort, httpsPort] = [await listen(http), await listen(https)];

    // A service that cannot be placed (under its desired replicas), one whose tasks keep failing,
    // and one opted in to autoscaling (idle: evaluated and held at its minimum, not scaled).
    const service = (name: string, extra: Record<string, unknown>, cmd: string[], labels: Record<string, string> = {}) =>
      docker.createService({
        Name: name,
        Labels: { "vigie.test": "1", "com.docker.stack.namespace": stack, ...labels },
        TaskTemplate: {
          ContainerSpec: { Image: BUSYBOX, Command: cmd, Labels: { "vigie.test": "1", "com.docker.stack.namespace": stack } },
          Networks: [{ Target: "host" }],
          ...extra,
        },
        Mode: { Replicated: { Replicas: 1 } },
      } as Docker.CreateServiceOptions);
    services.push(web, crash, scaled);
    await service(web, { Placement: { Constraints: ["node.labels.vigie-test-nowhere==1"] }, RestartPolicy: { Condition: "none" } }, ["sleep", "600"]);
    await service(crash, { RestartPolicy: { Condition: "any", Delay: 200_000_000 } }, ["false"]);
    await service(scaled, { Resources: { Limits: { NanoCPUs: 1e8 } }, RestartPolicy: { Condition: "none" } }, ["sleep", "600"], {
      "vigie.autoscale.enabled": "true",
      "vigie.autoscale.min": "1",
      "vigie.autoscale.max": "3",
      "vigie.autoscale.target": "50%",
    });

    // A task-like container of the web service that restarted once, keeps having a process
    // OOM-killed at its memory limit, and fails its health check.
    const troubled = uniqueName("dash-troubled");
    containers.push(troubled);
    const c = await docker.createContainer({
      name: troubled,
      Image: BUSYBOX,
      Cmd: ["sh", "-c", "if [ ! -e /tmp/restarted ]; then touch /tmp/restarted; exit 1; fi; while :; do (x=a; while :; do x=$x$x; done); sleep 1; done"],
      Labels: { "vigie.test": "1", "com.docker.stack.namespace": stack, "com.docker.swarm.service.name": web },
      Healthcheck: { Test: ["CMD", "false"], Interval: 500e6, Timeout: 2e9, Retries: 1, StartPeriod: 0 },
      HostConfig: { NetworkMode: "none", Memory: 16 * 1024 * 1024, MemorySwap: 16 * 1024 * 1024, RestartPolicy: { Name: "on-failure", MaximumRetryCount: 5 } },
    });
    await c.start();
    // A task-like container of the web service that writes an error line and an info line every half second.
    const logger = uniqueName("dash-logger");
    containers.push(logger);
    const l = await docker.createContainer({
      name: logger,
      Image: BUSYBOX,
      Cmd: ["sh", "-c", "while :; do echo 'ERROR payment declined'; echo 'INFO order placed'; sleep 0.5; done"],
      Labels: { "vigie.test": "1", "com.docker.stack.namespace": stack, "com.docker.swarm.service.name": web },
      HostConfig: { NetworkMode: "none" },
    });
    await l.start();

    // A rule that fires at its first evaluation: the web service cannot be placed.
    const rules = tmp("rules");
    writeFileSync(
      path.join(rules, "dash.yaml"),
      `rules:\n  - name: ${alertname}\n    signal: service_replicas_missing\n    scope: service\n    match: ['service="${web}"']\n    condition: "> 0"\n    severity: warning\n`,
    );

    collector = await startCollector({
      natsUrl: nats.url, listen: "127.0.0.1:0", dataDir: tmp("collector"), streamMaxAgeMs: 3_600_000, streamMaxBytes: -1, streamReplicas: 1, durable: "vigie-collector", log: testLog,
      absence: { defaultIntervalMs: 1000, downAfterMs: 4000 },
      swarm: { enabled: true, socketPath: DOCKER_SOCKET, intervalMs: 1000 },
      alerts: { section: AlertsSectionSchema.parse({ shipped: false, dir: rules, evaluationInterval: "1s" }), warmupMs: 1000, reloadOnSighup: false },
      autoscale: AutoscaleSectionSchema.parse({ interval: "1s", leaseTtl: "5s" }),
    });
    agent = await startAgent({
      natsUrl: nats.url, intervalMs: 1000, listen: "127.0.0.1:0", dataDir: tmp("agent"), hostRoot: "/", spoolMaxBytes: 16 * 1024 * 1024,
      nodeId: uniqueName("dash-id"), hostname, dockerSocket: DOCKER_SOCKET, checkTargets: false, log: testLog,
      checks: [
        { name: "dash-tls", url: `https://127.0.0.1:${httpsPort}/`, insecure: true, interval: "500ms", service: checkService },
        { name: "dash-broken", url: `http://127.0.0.1:${httpPort}/fail`, interval: "500ms", failureThreshold: 1, service: checkService },
      ],
    });
    // A node that reported, then went silent: it turns stale, then down.
    const gone = await startAgent({
      natsUrl: nats.url, intervalMs: 500, listen: "127.0.0.1:0", dataDir: tmp("gone"), hostRoot: "/", spoolMaxBytes: 1024 * 1024,
      nodeId: uniqueName("dash-gone"), hostname: uniqueName("dash-gone"), dockerSocket: false, log: testLog,
    });
    await new Promise((r) => setTimeout(r, 2000));
    await gone.stop();

    prometheus = await startPrometheus({ targets: [collector.url.replace(/^http:\/\//, "")] });
    // A message the collector refuses: a dead letter.
    await jetstream(nc).publish(subjectFor("metrics", "dash-dead-letter"), "{not json");
  }, 180_000);

  afterAll(async () => {
    await prometheus?.stop();
    await agent?.stop();
    await collector?.stop();
    await nc?.close();
    await nats?.dispose();
    for (const s of sockets) s.destroy();
    http?.close();
    https?.close();
    for (const name of containers) await removeContainer(docker, name);
    for (const name of services) await removeService(docker, name);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }, 120_000);

  it("parses every query, and answers each with data unless its panel is listed with the reason", async () => {
    const url = prometheus!.url;
    /** Each dashboard's variables, given real values (those this test created), and the value its variable query must offer. */
    const values: Record<DashboardName, Record<string, string>> = {
      "cluster-overview": {},
      "node-detail": { node: hostname },
      "services-and-containers": { stack, service: `(${web}|${crash})` },
      "application-checks": { service: checkService },
      // Log records carry the service's name without its stack; the autoscaler, the Swarm's.
      "logs-and-errors": { stack, service: "web" },
      autoscaling: { service: scaled },
      "pipeline-health": {},
    };
    const offered: Partial<Record<DashboardName, Record<string, string>>> = {
      "node-detail": { node: hostname },
      "services-and-containers": { stack, service: web },
      "application-checks": { service: checkService },
      "logs-and-errors": { stack, service: "web" },
      autoscaling: { service: scaled },
    };
    const grafana = { __rate_interval: "10s", __range: "5m" };
    const all = buildDashboards().flatMap(({ name, dashboard }) => [
      ...panelQueries(dashboard).map((q) => ({ key: `${name} / ${q.panel}`, what: `${name} / ${q.panel} ${q.refId}`, expr: substitute(q.expr, { ...grafana, ...values[name] }), want: undefined as string | undefined, label: "" })),
      ...variableQueries(dashboard).map((v) => ({
        key: `${name} / $${v.name}`, what: `${name} / $${v.name}`, expr: `count by (${v.label}) (${substitute(v.selector, values[name])})`, want: offered[name]?.[v.name], label: v.label,
      })),
    ]);
    expect(all.length).toBeGreaterThan(60);
    // Every listed panel exists (the list shrinks as capabilities land; a stale entry fails here).
    const keys = new Set(all.map((q) => q.key));
    for (const q of all) keys.add(q.what);
    expect(Object.keys(NO_DATA).filter((k) => !keys.has(k))).toEqual([]);

    const deadline = Date.now() + 120_000;
    let failing: string[] = [];
    /** Listed panels with a query that got no data: a listed panel all of whose queries answer is to be taken off the list. */
    const stillEmpty = new Set<string>();
    for (;;) {
      failing = [];
      for (const q of all) {
        const { error, result } = await ask(url, q.expr);
        if (error) {
          failing.push(`${q.what}: does not parse (${error}): ${q.expr}`);
          continue;
        }
        const listed = q.what in NO_DATA ? q.what : q.key in NO_DATA ? q.key : undefined;
        if (listed !== undefined) {
          if (result.length === 0) stillEmpty.add(listed);
          continue;
        }
        if (result.length === 0) failing.push(`${q.what}: no data: ${q.expr}`);
        else if (q.want && !result.some((r) => (r as { metric: Record<string, string> }).metric[q.label] === q.want)) failing.push(`${q.what}: does not offer ${q.want}`);
      }
      if (failing.length === 0 || failing.some((f) => f.includes("does not parse")) || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    expect(failing).toEqual([]);
    expect(Object.keys(NO_DATA).filter((k) => !stillEmpty.has(k)).map((k) => `${k} has data now: take it off NO_DATA`)).toEqual([]);
  }, 200_000);

  it("shows what the test created: the OOM kills, the restart, the unhealthy container, the failing check, the silent node, the alert, the error lines, the autoscaler's decisions", async () => {
    const url = prometheus!.url;
    const value = async (expr: string) => Number(((await ask(url, expr)).result[0] as { value?: [number, string] } | undefined)?.value?.[1] ?? NaN);
    const ctr = `container_label_com_docker_swarm_service_name="${web}"`;
    expect(await value(`max(container_oom_events_total{${ctr}})`)).toBeGreaterThan(0);
    expect(await value(`max(vigie_container_restarts_total{${ctr}})`)).toBeGreaterThanOrEqual(1);
    expect(await value(`max(vigie_container_health_status{${ctr},status="unhealthy"})`)).toBe(1);
    expect(await value(`max(vigie_check_state{check="dash-broken",state="down"})`)).toBe(1);
    expect(await value(`max(probe_http_status_code{check="dash-broken"})`)).toBe(500);
    expect(await value(`count(vigie_node_status{status!="up"} == 1)`)).toBeGreaterThanOrEqual(1);
    expect(await value(`vigie_swarm_service_replicas_desired{service="${web}"} - vigie_swarm_service_replicas_running{service="${web}"}`)).toBe(1);
    expect(await value(`sum(vigie_ingest_dead_letters_total)`)).toBeGreaterThanOrEqual(1);
    expect(await value(`vigie_alerts{alertname="${alertname}",state="firing"}`)).toBe(1);
    expect(await value(`sum(vigie_log_records_total{stack="${stack}",service="web",severity="ERROR"})`)).toBeGreaterThanOrEqual(1);
    expect(await value(`sum(vigie_log_records_total{stack="${stack}",service="web",severity="INFO"})`)).toBeGreaterThanOrEqual(1);
    // Idle, the opted-in service is held at its minimum: evaluated, not scaled.
    expect(await value(`vigie_autoscale_desired_replicas{service="${scaled}"}`)).toBe(1);
    expect(await value(`sum(vigie_autoscale_events_total{service="${scaled}"})`)).toBeGreaterThanOrEqual(1);
    expect(await value(`sum(vigie_autoscale_events_total{service="${scaled}",reason="scaled"})`)).toBeNaN();
  });
});
