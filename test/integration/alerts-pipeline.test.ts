import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../agent/index.js";
import { AlertsSectionSchema } from "../../collector/alerts/index.js";
import type { CollectorAlertsOptions } from "../../collector/alerts/collector-alerts.js";
import type { WebhookPayload } from "../../collector/notify/receiver.js";
import { startCollector, type Collector } from "../../collector/index.js";
import { BUSYBOX, DOCKER_SOCKET, ensureDocker, removeService, uniqueName } from "../support/docker.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { freePort } from "../support/ports.js";
import { agentTestOptions, collectorTestOptions, getJson } from "../support/vigie.js";
import { waitFor } from "../support/wait.js";

/**
 * The whole alert path on real parts: agents on the real Docker engine → NATS JetStream →
 * collector (model → alert source → engine → notifier) → a webhook, an SMTP server and
 * Alertmanager. Rules are evaluated every second with short windows; the route waits 1 s.
 */
const ALERTMANAGER_BIN = "/usr/bin/prometheus-alertmanager";
const EVALUATION_MS = 1000;
const GROUP_WAIT_MS = 1000;
const run = `r${process.pid}${Date.now() % 100_000}`;
const service = uniqueName("crash");
const HOST = `${run}-main`;
const checkName = `${run}-billing`;

const rules = `rules:
  - name: ${run}CrashLoop
    signal: container_restarts
    scope: container
    match: ['service="${service}"']
    aggregation: increase
    window: 20s
    condition: ">= 2"
    keep_firing_for: 10s
    severity: warning
    annotations:
      summary: "{{ $labels.container }} restarts in a loop"
  - name: ${run}CheckFailing
    signal: check_success
    scope: check
    match: ['check="${checkName}"']
    aggregation: avg
    window: 2s
    condition: "< 0.5"
    severity: warning
  - name: ${run}NodeNotReporting
    signal: node_reporting
    scope: node
    match: ['node=~"${run}-.*"']
    condition: "== 0"
    for: 2s
    severity: critical
    annotations:
      summary: "Node {{ $labels.node }} is not reporting"
`;

interface Received {
  at: number;
  body: WebhookPayload;
}

describe("alerts through the real pipeline", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "vigie-alerts-e2e-"));
  const dataDir = path.join(dir, "data");
  let nats: NatsServer;
  let docker: Docker;
  let collector: Collector | undefined;
  let agent: Agent | undefined;
  const extraAgents = new Map<string, Agent>();
  let hookServer: Server;
  let checkServer: Server;
  let checkHealthy = true;
  const hooks: Received[] = [];
  const mails: { subject: string; text: string }[] = [];
  let smtp: SMTPServer;
  let am: ChildProcess;
  let amPort = 0;
  let alertsOptions: CollectorAlertsOptions;
  const dies: number[] = [];
  let events: NodeJS.ReadableStream | undefined;

  const received = (alertname: string, status: "firing" | "resolved", label?: [string, string]) =>
    hooks.filter((h) => h.body.alerts.some((a) => a.labels.alertname === alertname && a.status === status && (!label || a.labels[label[0]] === label[1])));
  const amAlerts = async (alertname: string) =>
    (await (await fetch(`http://127.0.0.1:${amPort}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${alertname}"`)}`)).json()) as { labels: Record<string, string>; status: { state: string } }[];
  const openAlerts = async () => (await getJson<{ alerts: { alertname: string; state: string; labels: Record<string, string>; silencedBy: string[] }[] }>(`${collector!.url}/api/v1/alerts`)).alerts;
  const start = () => startCollector(collectorTestOptions(nats.url, dataDir, { swarm: { enabled: true, socketPath: DOCKER_SOCKET, intervalMs: 1000 }, alerts: alertsOptions }));

  beforeAll(async () => {
    docker = await ensureDocker();
    nats = await startNats();
    hookServer = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        hooks.push({ at: Date.now(), body: JSON.parse(body) as WebhookPayload });
        res.writeHead(200).end("ok");
      });
    });
    await new Promise<void>((r) => hookServer.listen(0, "127.0.0.1", r));
    checkServer = createServer((_req, res) => res.writeHead(checkHealthy ? 200 : 503).end(checkHealthy ? "up" : "down"));
    await new Promise<void>((r) => checkServer.listen(0, "127.0.0.1", r));

    smtp = new SMTPServer({
      authOptional: true,
      onData(stream, _session, cb) {
        let raw = "";
        stream.on("data", (c: Buffer) => (raw += c.toString()));
        stream.on("end", () => {
          mails.push({ subject: /^Subject: (.*)$/m.exec(raw)?.[1] ?? "", text: raw });
          cb();
        });
      },
    });
    const smtpPort = await freePort();
    await new Promise<void>((r) => smtp.listen(smtpPort, "127.0.0.1", r));

    amPort = await freePort();
    writeFileSync(path.join(dir, "am.yml"), "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n");
    am = spawn(ALERTMANAGER_BIN, [`--config.file=${path.join(dir, "am.yml")}`, `--storage.path=${path.join(dir, "am-data")}`, `--web.listen-address=127.0.0.1:${amPort}`, "--cluster.listen-address="], { stdio: "ignore" });
    await waitFor("alertmanager ready", async () => (await fetch(`http://127.0.0.1:${amPort}/-/ready`).catch(() => undefined))?.ok);

    mkdirSync(path.join(dir, "rules"));
    writeFileSync(path.join(dir, "rules", "e2e.yaml"), rules);
    const hookPort = (hookServer.address() as { port: number }).port;
    alertsOptions = {
      section: AlertsSectionSchema.parse({
        shipped: false,
        dir: path.join(dir, "rules"),
        evaluationInterval: `${EVALUATION_MS}ms`,
        route: {
          receiver: "hook",
          groupWait: `${GROUP_WAIT_MS}ms`,
          groupInterval: "1s",
          repeatInterval: "1h",
          routes: [{ receiver: "mail", continue: true }, { receiver: "am", continue: true }, { receiver: "hook" }],
        },
        receivers: [
          { name: "hook", webhook: { url: `http://127.0.0.1:${hookPort}/hook` } },
          { name: "mail", email: { to: ["ops@example.org"], from: "vigie@example.org", smarthost: `127.0.0.1:${smtpPort}`, tls: "starttls", insecureSkipVerify: true, sendResolved: true } },
          { name: "am", alertmanager: { url: `http://127.0.0.1:${amPort}` } },
        ],
      }),
      warmupMs: 3000,
      reloadOnSighup: false,
      retry: { attempts: 3, baseMs: 50 },
    };

    collector = await start();
    agent = await startAgent({
      ...agentTestOptions(nats.url, dataDir),
      intervalMs: 1000,
      nodeId: `${run}-main`,
      hostname: HOST,
      dockerSocket: DOCKER_SOCKET,
      checks: [{ name: checkName, url: `http://127.0.0.1:${(checkServer.address() as { port: number }).port}/health`, interval: "300ms", timeout: "250ms", failureThreshold: 1 }],
      checkTargets: false,
    });
  }, 120_000);

  afterAll(async () => {
    (events as { destroy?: () => void } | undefined)?.destroy?.();
    await removeService(docker, service).catch(() => undefined);
    for (const a of extraAgents.values()) await a.stop();
    await agent?.stop();
    await collector?.stop();
    await nats?.dispose();
    am?.kill("SIGTERM");
    await new Promise<void>((r) => smtp?.close(() => r()));
    await new Promise<void>((r) => hookServer?.close(() => r()));
    await new Promise<void>((r) => checkServer?.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("a crash-looping Swarm service fires an alert that reaches the webhook, SMTP and Alertmanager", async () => {
    events = await docker.getEvents({ filters: { type: ["container"], event: ["die"], label: [`com.docker.swarm.service.name=${service}`] } });
    events.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) if (line.trim()) dies.push(Number((JSON.parse(line) as { timeNano: number }).timeNano) / 1e6);
    });
    await docker.createService({
      Name: service,
      Labels: { "vigie.test": "1" },
      TaskTemplate: {
        ContainerSpec: { Image: BUSYBOX, Command: ["sh", "-c", "sleep 1; exit 3"] },
        Networks: [{ Target: "host" }],
        RestartPolicy: { Condition: "on-failure", Delay: 500_000_000, MaxAttempts: 0 },
      },
      Mode: { Replicated: { Replicas: 1 } },
    } as Docker.CreateServiceOptions);
    const alertname = `${run}CrashLoop`;
    const first = await waitFor("the crash-loop notification at the webhook", () => received(alertname, "firing")[0], 90_000, 100);
    const alert = first.body.alerts.find((a) => a.labels.alertname === alertname);
    expect(alert?.labels).toMatchObject({ node: HOST, container: `${service}.1`, service, severity: "warning" });
    expect(alert?.annotations.summary).toBe(`${service}.1 restarts in a loop`);
    await waitFor("the mail", () => mails.find((m) => m.subject === `[FIRING:1] alertname=${alertname}`), 10_000);
    const inAm = await waitFor("the alert in Alertmanager", async () => (await amAlerts(alertname)).find((a) => a.labels.container === `${service}.1`), 10_000);
    expect(inAm.status.state).toBe("active");
    // The condition came true with the second exit in the window.
    const condition = dies[1] as number;
    expect(condition).toBeGreaterThan(0);
    const latency = first.at - condition;
    process.stdout.write(`alerts-pipeline: crash loop, condition → webhook ${latency} ms (for 0 + interval ${EVALUATION_MS} ms + group_wait ${GROUP_WAIT_MS} ms = ${EVALUATION_MS + GROUP_WAIT_MS} ms, plus the agent's event delivery)\n`);
    expect(latency).toBeGreaterThan(0);
  }, 120_000);

  it("a collector restart in the middle neither repeats the notification nor forgets the alert", async () => {
    const alertname = `${run}CrashLoop`;
    const before = { hooks: received(alertname, "firing").length, mails: mails.filter((m) => m.subject.includes(alertname)).length };
    await collector!.stop();
    collector = await start();
    // Warm-up (3 s), then several evaluations with the service still crashing.
    await new Promise((r) => setTimeout(r, 8000));
    const open = await openAlerts();
    expect(open.filter((a) => a.alertname === alertname).map((a) => a.state)).toEqual(["firing"]);
    expect({ hooks: received(alertname, "firing").length, mails: mails.filter((m) => m.subject.includes(alertname)).length }).toEqual(before);
  }, 60_000);

  it("a check that starts failing fires", async () => {
    const alertname = `${run}CheckFailing`;
    await waitFor("the check in the collector", async () => (await getJson<{ checks: { name: string; up: boolean }[] }>(`${collector!.url}/api/v1/checks`)).checks.find((c) => c.name === checkName && c.up), 20_000);
    expect(received(alertname, "firing")).toEqual([]);
    const failedAt = Date.now();
    checkHealthy = false;
    const hook = await waitFor("the check notification", () => received(alertname, "firing")[0], 30_000, 100);
    expect(hook.body.alerts.find((a) => a.labels.alertname === alertname)?.labels).toMatchObject({ check: checkName, node: HOST });
    process.stdout.write(`alerts-pipeline: check failing, target down → webhook ${hook.at - failedAt} ms (window 2 s, interval ${EVALUATION_MS} ms, group_wait ${GROUP_WAIT_MS} ms, check every 300 ms)\n`);
    checkHealthy = true;
  }, 60_000);

  it("a node whose agent stops fires node-not-reporting named by its hostname, and a silence made through the API suppresses another", async () => {
    const alertname = `${run}NodeNotReporting`;
    for (const name of ["gone", "hushed"]) {
      const a = await startAgent({ ...agentTestOptions(nats.url, path.join(dir, name)), intervalMs: 500, nodeId: `${run}-${name}`, hostname: `${run}-${name}` });
      extraAgents.set(name, a);
    }
    // Up, with their interval known (two messages): silence is then judged against 500 ms, not the 10 s default.
    await waitFor("both nodes up", async () => {
      const nodes = (await getJson<{ nodes: { hostname: string; status: string; intervalSeconds: number | null }[] }>(`${collector!.url}/api/v1/nodes`)).nodes;
      return nodes.filter((n) => n.hostname.startsWith(`${run}-`) && n.hostname !== HOST && n.status === "up" && n.intervalSeconds !== null).length === 2;
    }, 20_000);
    const res = await fetch(`${collector!.url}/api/v1/silences`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ matchers: [{ name: "node", op: "=", value: `${run}-hushed` }], duration: "1h", comment: "maintenance" }),
    });
    expect(res.status).toBe(201);
    const silence = (await res.json()) as { id: string };

    const stoppedAt = Date.now();
    await extraAgents.get("gone")!.stop();
    extraAgents.delete("gone");
    const hook = await waitFor("node not reporting at the webhook", () => received(alertname, "firing", ["node", `${run}-gone`])[0], 30_000, 100);
    process.stdout.write(`alerts-pipeline: agent stopped → webhook ${hook.at - stoppedAt} ms (stale after 3 × 500 ms, for 2 s, interval ${EVALUATION_MS} ms, group_wait ${GROUP_WAIT_MS} ms)\n`);

    await extraAgents.get("hushed")!.stop();
    extraAgents.delete("hushed");
    const hushed = await waitFor("the silenced alert firing", async () => (await openAlerts()).find((a) => a.labels.node === `${run}-hushed` && a.state === "firing"), 30_000);
    expect(hushed.silencedBy).toEqual([silence.id]);
    // Two more group intervals: still nothing sent about it.
    await new Promise((r) => setTimeout(r, 2500));
    expect(received(alertname, "firing", ["node", `${run}-hushed`])).toEqual([]);
  }, 90_000);

  it("POST /api/v1/alerts/reload reads the rules again, and keeps them when a file turned bad", async () => {
    const reload = () => fetch(`${collector!.url}/api/v1/alerts/reload`, { method: "POST" });
    const ok = await reload();
    expect([ok.status, await ok.json()]).toEqual([200, { rules: 3 }]);
    writeFileSync(path.join(dir, "rules", "broken.yaml"), "rules:\n  - name: Broken\n    signal: nothing\n");
    const bad = await reload();
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { problems: string[] }).problems.join("\n")).toContain("broken.yaml");
    rmSync(path.join(dir, "rules", "broken.yaml"));
    expect((await openAlerts()).some((a) => a.alertname === `${run}CrashLoop`)).toBe(true);
  });

  it("the resolved notification follows when the service is removed", async () => {
    const alertname = `${run}CrashLoop`;
    await removeService(docker, service);
    const hook = await waitFor("the resolved notification", () => received(alertname, "resolved")[0], 60_000, 200);
    expect(hook.body.alerts.find((a) => a.labels.alertname === alertname)?.status).toBe("resolved");
    await waitFor("the resolved mail", () => mails.find((m) => m.subject === `[RESOLVED] alertname=${alertname}`), 10_000);
    await waitFor("Alertmanager to see it resolved", async () => !(await amAlerts(alertname)).some((a) => a.status.state === "active"), 20_000);
    expect(received(alertname, "firing")).toHaveLength(1);
  }, 90_000);
});
