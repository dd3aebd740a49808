import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlertsSectionSchema, createAlerts, type Alerts } from "../../collector/alerts/index.js";
import type { SignalName } from "../../collector/alerts/signals.js";
import type { AlertSource, SignalSeries } from "../../collector/alerts/source.js";
import type { WebhookPayload } from "../../collector/notify/receiver.js";
import { testLog } from "../support/log.js";
import { freePort } from "../support/ports.js";
import { waitFor } from "../support/wait.js";

const ALERTMANAGER_BIN = "/usr/bin/prometheus-alertmanager";
const dir = mkdtempSync(path.join(tmpdir(), "vigie-notify-"));
const run = `r${process.pid}${Date.now() % 100_000}`;

/** A source the test sets by hand: node_reporting per node, real times. */
class Nodes implements AlertSource {
  readonly up = new Map<string, number>();
  series(signal: SignalName, _from: number, to: number): SignalSeries[] | undefined {
    if (signal !== "node_reporting") return undefined;
    return [...this.up].map(([node, v]) => ({ labels: { node }, points: [[to, v] as const] }));
  }
}

let hooks: { path: string; body: WebhookPayload }[] = [];
let http: Server;
let httpPort = 0;
const mails: { subject: string; text: string; user?: string }[] = [];
let smtp: SMTPServer;
let smtpPort = 0;
let am: ChildProcess;
let amPort = 0;

beforeAll(async () => {
  http = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      if (req.url === "/broken") {
        res.writeHead(500).end("down for maintenance");
        return;
      }
      hooks.push({ path: req.url ?? "", body: JSON.parse(body) as WebhookPayload });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  httpPort = (http.address() as { port: number }).port;

  smtp = new SMTPServer({
    authMethods: ["PLAIN", "LOGIN"],
    onAuth(auth, _session, cb) {
      if (auth.username === "vigie" && auth.password === "s3cret-pass") cb(null, { user: auth.username });
      else cb(new Error("bad credentials"));
    },
    onData(stream, session, cb) {
      let raw = "";
      stream.on("data", (c: Buffer) => (raw += c.toString()));
      stream.on("end", () => {
        const subject = /^Subject: (.*)$/m.exec(raw)?.[1] ?? "";
        mails.push({ subject, text: raw, user: typeof session.user === "string" ? session.user : undefined });
        cb();
      });
    },
  });
  smtpPort = await freePort();
  await new Promise<void>((r) => smtp.listen(smtpPort, "127.0.0.1", r));

  amPort = await freePort();
  writeFileSync(path.join(dir, "am.yml"), "route:\n  receiver: blackhole\nreceivers:\n  - name: blackhole\n");
  am = spawn(ALERTMANAGER_BIN, [`--config.file=${path.join(dir, "am.yml")}`, `--storage.path=${path.join(dir, "am-data")}`, `--web.listen-address=127.0.0.1:${amPort}`, "--cluster.listen-address="], { stdio: "ignore" });
  await waitFor("alertmanager ready", async () => (await fetch(`http://127.0.0.1:${amPort}/-/ready`).catch(() => undefined))?.ok);

  writeFileSync(path.join(dir, "smtp-password"), "s3cret-pass\n");
  writeFileSync(
    path.join(dir, "rules.yaml"),
    `rules:\n  - { name: ${run}Down, signal: node_reporting, condition: "== 0", severity: critical, annotations: { summary: "Node {{ $labels.node }} is not reporting" } }\n`,
  );
}, 60_000);

afterAll(async () => {
  am?.kill("SIGTERM");
  await new Promise<void>((r) => smtp?.close(() => r()));
  await new Promise<void>((r) => http?.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

function start(source: AlertSource): Alerts {
  const section = AlertsSectionSchema.parse({
    shipped: false,
    dir: path.join(dir, "rules.yaml"),
    route: {
      receiver: "hook",
      groupWait: "0s",
      groupInterval: "1s",
      repeatInterval: "1h",
      routes: [
        { receiver: "broken", continue: true },
        { receiver: "mail", continue: true },
        { receiver: "am", continue: true },
        { receiver: "hook" },
      ],
    },
    receivers: [
      { name: "hook", webhook: { url: `http://127.0.0.1:${httpPort}/hook` } },
      { name: "broken", webhook: { url: `http://127.0.0.1:${httpPort}/broken` } },
      { name: "mail", email: { to: ["ops@example.org"], from: "vigie@example.org", smarthost: `127.0.0.1:${smtpPort}`, tls: "starttls", insecureSkipVerify: true, username: "vigie", passwordFile: path.join(dir, "smtp-password"), sendResolved: true } },
      { name: "am", alertmanager: { url: `http://127.0.0.1:${amPort}` } },
    ],
  });
  return createAlerts({ section, dataDir: dir, shippedDir: dir, source, log: testLog, externalUrl: "http://127.0.0.1:9480", retry: { attempts: 3, baseMs: 20 } });
}

async function amAlerts(): Promise<{ labels: Record<string, string>; status: { state: string } }[]> {
  const res = await fetch(`http://127.0.0.1:${amPort}/api/v2/alerts?filter=${encodeURIComponent(`alertname="${run}Down"`)}`);
  return (await res.json()) as { labels: Record<string, string>; status: { state: string } }[];
}

describe("notifications reach real receivers", () => {
  const source = new Nodes();
  let alerts: Alerts;

  it("a firing alert reaches the webhook (payload v4), SMTP with STARTTLS and auth, and Alertmanager; a failing receiver blocks none of them", async () => {
    alerts = start(source);
    source.up.set("node-x", 0);
    alerts.engine.evaluate();
    await alerts.notifier.tick();
    const hook = hooks.find((h) => h.path === "/hook");
    expect(hook?.body).toMatchObject({ version: "4", status: "firing", receiver: "hook", truncatedAlerts: 0, groupLabels: { alertname: `${run}Down` } });
    expect(hook?.body.alerts[0]).toMatchObject({ status: "firing", labels: { node: "node-x", alertname: `${run}Down`, severity: "critical" }, annotations: { summary: "Node node-x is not reporting" }, endsAt: "0001-01-01T00:00:00Z" });
    expect(mails.map((m) => [m.subject, m.user])).toEqual([[`[FIRING:1] alertname=${run}Down`, "vigie"]]);
    expect(mails[0]?.text).toContain("Node node-x is not reporting");
    const inAm = await waitFor("the alert in Alertmanager", async () => (await amAlerts()).find((a) => a.labels.node === "node-x"));
    expect(inAm.status.state).toBe("active");
    expect(alerts.notifier.counts.get("broken")).toEqual({ sent: 0, failed: 1, retried: 2 });
    expect(alerts.notifier.counts.get("hook")?.sent).toBe(1);
  });

  it("a collector restart neither sends the open alert again nor forgets it", async () => {
    await alerts.stop();
    const before = { hooks: hooks.length, mails: mails.length };
    alerts = start(source);
    expect(alerts.engine.active().map((a) => [a.labels.node, a.state])).toEqual([["node-x", "firing"]]);
    alerts.engine.evaluate();
    await alerts.notifier.tick();
    await new Promise((r) => setTimeout(r, 1100));
    alerts.engine.evaluate();
    await alerts.notifier.tick();
    expect({ hooks: hooks.filter((h) => h.path === "/hook").length, mails: mails.length }).toEqual({ hooks: before.hooks, mails: before.mails });
  });

  it("a silence suppresses a new alert's notification", async () => {
    const s = alerts.silences.create({ matchers: [{ name: "node", op: "=", value: "node-y" }], endsAt: Date.now() + 3_600_000, createdBy: "test" });
    expect(typeof s).toBe("object");
    const before = hooks.length;
    source.up.set("node-y", 0);
    alerts.engine.evaluate();
    await new Promise((r) => setTimeout(r, 1100));
    await alerts.notifier.tick();
    expect(alerts.engine.active().some((a) => a.labels.node === "node-y" && a.state === "firing")).toBe(true);
    expect(hooks.slice(before).flatMap((h) => h.body.alerts.map((a) => a.labels.node))).not.toContain("node-y");
  });

  it("the resolved notification follows when the condition clears", async () => {
    hooks = [];
    source.up.set("node-x", 1);
    source.up.delete("node-y");
    await new Promise((r) => setTimeout(r, 1100));
    alerts.engine.evaluate();
    await alerts.notifier.tick();
    const resolved = hooks.find((h) => h.body.alerts.some((a) => a.labels.node === "node-x" && a.status === "resolved"));
    expect(resolved?.body.status).toBe("resolved");
    expect(mails.at(-1)?.subject).toBe(`[RESOLVED] alertname=${run}Down`);
    await waitFor("Alertmanager to see it resolved", async () => !(await amAlerts()).some((a) => a.labels.node === "node-x"));
    await alerts.stop();
  });
});
