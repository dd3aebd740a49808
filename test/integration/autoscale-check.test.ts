import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../agent/index.js";
import { AlertsSectionSchema } from "../../collector/alerts/index.js";
import { AutoscaleSectionSchema, type AutoscaleEvent } from "../../collector/autoscale/index.js";
import { startCollector, type Collector } from "../../collector/index.js";
import type { WebhookPayload } from "../../collector/notify/receiver.js";
import { createService, DOCKER_SOCKET, ensureDocker, removeService, uniqueName } from "../support/docker.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { freePort } from "../support/ports.js";
import { agentTestOptions, collectorTestOptions, getJson } from "../support/vigie.js";
import { waitFor } from "../support/wait.js";

interface Inspected {
  Spec: { Mode: { Replicated: { Replicas: number } } };
}

/**
 * `vigie.autoscale.metric=check:<path>` end to end: a service's status endpoint (busybox httpd
 * on 127.0.0.1, host network) says its queue is 30 deep against a target of 10 per task; the
 * real agent checks it and sends the body's numbers, the real collector keeps them in its model,
 * the autoscaler scales the service on them, and the scaling reaches a webhook on 127.0.0.1
 * through the alert routing.
 */
describe("autoscaling on a number from the status endpoint, notified to the alert receivers", () => {
  let docker: Docker;
  let nats: NatsServer;
  let collector: Collector | undefined;
  let agent: Agent | undefined;
  let hookServer: Server;
  const hooks: { at: number; body: WebhookPayload }[] = [];
  const dirs: string[] = [];
  const created: string[] = [];
  const timings: string[] = [];

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
  });

  afterAll(async () => {
    await agent?.stop();
    await collector?.stop();
    await nats?.dispose();
    await new Promise<void>((r) => hookServer?.close(() => r()));
    for (const name of created) await removeService(docker, name).catch(() => {});
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    if (timings.length > 0) console.log(`check:<path> autoscaling, decision times:\n  ${timings.join("\n  ")}`);
  });

  it("scales a service whose status body reports a queue above target up through agent → collector, and the scaling reaches the webhook", async () => {
    const collectorDir = mkdtempSync(path.join(tmpdir(), "vigie-autoscale-check-collector-"));
    const agentDir = mkdtempSync(path.join(tmpdir(), "vigie-autoscale-check-agent-"));
    dirs.push(collectorDir, agentDir);
    const hookPort = (hookServer.address() as { port: number }).port;
    collector = await startCollector(
      collectorTestOptions(nats.url, collectorDir, {
        swarm: { enabled: true, socketPath: DOCKER_SOCKET, intervalMs: 1000 },
        autoscale: AutoscaleSectionSchema.parse({ interval: "1s", leaseTtl: "5s", leaseBucket: uniqueName("asc_lease").replace(/-/g, "_"), memoryBucket: uniqueName("asc_memory").replace(/-/g, "_") }),
        alerts: {
          section: AlertsSectionSchema.parse({
            shipped: false,
            evaluationInterval: "1s",
            // Only scale events reach the hook, by the matchers an operator would write.
            route: { groupWait: "500ms", groupInterval: "1s", repeatInterval: "1h", routes: [{ matchers: ['alertname="VigieAutoscale"', 'reason="scaled"'], receiver: "hook", groupBy: ["alertname", "service"] }] },
            receivers: [{ name: "hook", webhook: { url: `http://127.0.0.1:${hookPort}/hook` } }],
          }),
          warmupMs: 0,
          reloadOnSighup: false,
          retry: { attempts: 3, baseMs: 50 },
        },
      }),
    );
    agent = await startAgent(agentTestOptions(nats.url, agentDir, { dockerSocket: DOCKER_SOCKET, intervalMs: 1000 }));
    const autoscale = collector.autoscale;
    if (!autoscale) expect.fail("the collector started no autoscaler although its Swarm view is on");

    // Every task answers from the one endpoint on 127.0.0.1 (host network): the first binds it, later ones find it taken and idle.
    const port = await freePort();
    const name = uniqueName("asc-check");
    created.push(name);
    const body = JSON.stringify({ status: "UP", queue: { depth: 30, name: "jobs" } });
    await createService(docker, {
      name,
      cmd: ["sh", "-c", `mkdir -p /www && echo '${body}' > /www/status.json && httpd -f -p 127.0.0.1:${port} -h /www; exec sleep 100000`],
      labels: {
        "vigie.check.port": String(port),
        "vigie.check.path": "/status.json",
        "vigie.check.interval": "1s",
        "vigie.autoscale.enabled": "true",
        "vigie.autoscale.min": "1",
        "vigie.autoscale.max": "3",
        "vigie.autoscale.metric": "check:queue.depth",
        "vigie.autoscale.target": "10",
        "vigie.autoscale.cooldown.up": "0s",
      },
    });
    const created0 = Date.now();

    // The body's number reaches the model and the API's check answers.
    const check = await waitFor("the service's check with the queue depth in the model", () => collector?.model.checks.list().find((c) => c.last.check.name === name && c.values?.values["queue.depth"] === 30), 60_000, 200);
    const seen = Date.now();
    expect(check.last.resource["container.id"]).toEqual(expect.any(String));
    const api = await getJson<{ checks: { name: string; values: Record<string, number> | null }[] }>(`${collector.url}/api/v1/checks?service=${name}`);
    expect(api.checks.find((c) => c.name === name)?.values).toEqual({ "queue.depth": 30 });

    const up = await waitFor("a scale-up on check:queue.depth", () => autoscale.audit.list({ service: name, reason: "scaled", limit: 100 }).find((e) => e.direction === "up"), 60_000, 200);
    timings.push(`queue depth in the model ${seen - created0} ms after the service was created; first scale-up ${up.from}→${up.to} decided ${up.time - seen} ms after that`);
    // 30 against 10 per task: three times the target, 1 → 3 (the max).
    expect(up).toMatchObject({ from: 1, to: 3 });
    expect(up.inputs).toMatchObject({ metric: "check:queue.depth", target: 10, observed: 30, values: [30] });
    await waitFor("the service at 3 replicas", async () => ((await docker.getService(name).inspect()) as Inspected).Spec.Mode.Replicated.Replicas === 3, 30_000, 250);

    // The scaling reaches the webhook as a VigieAutoscale alert, with the labels operators route on.
    const hook = await waitFor("the scaling at the webhook", () => hooks.find((h) => h.body.alerts.some((a) => a.labels.alertname === "VigieAutoscale" && a.labels.service === name)), 30_000, 100);
    timings.push(`scale-up at the webhook ${hook.at - up.time} ms after the decision (group_wait 500 ms)`);
    const alert = hook.body.alerts.find((a) => a.labels.service === name);
    expect(alert?.labels).toMatchObject({ alertname: "VigieAutoscale", service: name, direction: "up", reason: "scaled", from: "1", to: "3", severity: "info" });
    expect(alert?.annotations.summary).toBe(`Vigie scaled ${name} up from 1 to 3 replicas`);
    expect(hook.body.receiver).toBe("hook");

    // At its max, the service is held there; nothing else was scaled, nothing else was sent.
    await waitFor("a decision held at the bound", () => autoscale.audit.list({ service: name, reason: "bounds" })[0], 30_000, 200);
    const scalings: AutoscaleEvent[] = autoscale.audit.list({ service: name, reason: "scaled" });
    expect(scalings.map((e) => [e.from, e.to])).toEqual([[1, 3]]);
    expect(hooks.flatMap((h) => h.body.alerts).every((a) => a.labels.alertname === "VigieAutoscale" && a.labels.service === name)).toBe(true);
  });
});
