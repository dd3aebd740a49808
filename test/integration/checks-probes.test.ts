import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createTcpServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckRunner } from "../../agent/checks/runner.js";
import type { CheckConfigInput } from "../../agent/checks/config.js";
import { probeHttp } from "../../agent/checks/http-probe.js";
import type { CheckResult } from "../../protocol/index.js";
import { testLog } from "../support/log.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const ROUTES: Record<string, Handler> = {
  "/health": (_req, res) => {
    res.writeHead(200, { "content-type": "application/health+json" }).end(JSON.stringify({ status: "pass", checks: { "db:responseTime": [{ status: "pass", observedValue: 3, observedUnit: "ms" }] } }));
  },
  "/actuator/health": (_req, res) => {
    res.writeHead(503, { "content-type": "application/vnd.spring-boot.actuator.v3+json" }).end(
      JSON.stringify({ status: "DOWN", components: { db: { status: "DOWN", details: { error: "Connection refused" } }, diskSpace: { status: "UP" } } }),
    );
  },
  "/fail": (_req, res) => {
    res.writeHead(503, { "content-type": "application/health+json" }).end(JSON.stringify({ status: "fail", checks: { "redis:connections": [{ status: "fail", output: "no route" }] } }));
  },
  "/malformed": (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end('{"status": "UP", "items": [1, 2');
  },
  "/items": (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ version: "2.1.0", items: [] }));
  },
  "/error": (_req, res) => {
    res.writeHead(500, { "content-type": "text/plain" }).end("boom");
  },
  "/hang": () => {
    // Never answers: the probe's timeout must end it.
  },
};

const handler: Handler = (req, res) => (ROUTES[req.url ?? ""] ?? ((_q, r) => r.writeHead(404).end()))(req, res);

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

async function runCheck(config: CheckConfigInput): Promise<CheckResult> {
  const runner = new CheckRunner({ checks: [config], listTargets: false, log: testLog, maxJitterMs: 60_000, random: () => 0.999 });
  runner.start({ emit: async () => {} });
  const result = await runner.runNow(`config/${config.name}`);
  await runner.stop();
  if (!result) throw new Error("no result");
  return result;
}

describe("status check probes against real servers on 127.0.0.1", () => {
  let dir: string;
  let cert: string;
  let http: Server;
  let https: Server;
  let httpPort: number;
  let httpsPort: number;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "vigie-checks-tls-"));
    // A self-signed certificate for 127.0.0.1 and localhost, valid 30 days.
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=localhost/O=Vigie Test",
      "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    cert = readFileSync(path.join(dir, "cert.pem"), "utf8");
    http = createHttpServer(handler);
    https = createHttpsServer({ key: readFileSync(path.join(dir, "key.pem")), cert }, handler);
    for (const s of [http, https]) s.on("connection", (c: Socket) => sockets.add(c));
    httpPort = await listen(http);
    httpsPort = await listen(https);
  });

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all([http, https].map((s) => new Promise((r) => s?.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes a health+json endpoint, with its components, connect and first-byte phases", async () => {
    const r = await runCheck({ name: "ok", url: `http://127.0.0.1:${httpPort}/health`, conditions: ["[STATUS] == 200", "[RESPONSE_TIME] < 10s"] });
    expect(r).toMatchObject({ up: true, status: "pass", state: "up", httpStatusCode: 200, health: { format: "health+json", components: [{ name: "db:responseTime", status: "pass", observedValue: 3 }] } });
    expect(r.phases?.connect).toBeGreaterThanOrEqual(0);
    expect(r.phases?.firstByte).toBeGreaterThanOrEqual(0);
    expect(r.phases?.dns).toBeUndefined(); // an IP literal is not looked up
    expect(r.conditions?.map((c) => c.success)).toEqual([true, true]);
  });

  it("reports a refused port as connect", async () => {
    const s = createTcpServer();
    const port = await listen(s);
    await new Promise((r) => s.close(r));
    const r = await runCheck({ name: "refused", url: `http://127.0.0.1:${port}/` });
    expect(r).toMatchObject({ up: false, status: "fail", error: { type: "connect" } });
    expect(r.error?.message).toContain("ECONNREFUSED");
  });

  it("reports an endpoint that never answers as timeout", async () => {
    const r = await runCheck({ name: "hang", url: `http://127.0.0.1:${httpPort}/hang`, timeout: "300ms" });
    expect(r).toMatchObject({ up: false, error: { type: "timeout" } });
    expect(r.phases?.connect).toBeGreaterThanOrEqual(0);
  });

  it("reports a self-signed certificate as tls, with its facts", async () => {
    const r = await runCheck({ name: "badcert", url: `https://127.0.0.1:${httpsPort}/health` });
    expect(r).toMatchObject({ up: false, error: { type: "tls" }, tls: { authorized: false } });
    expect(r.tls?.subject).toContain("CN=localhost");
    expect(r.error?.message).toMatch(/self.signed/i);
  });

  it("accepts the certificate when insecure, judging its expiry", async () => {
    const r = await runCheck({ name: "insecure", url: `https://127.0.0.1:${httpsPort}/health`, insecure: true, conditions: ["[CERTIFICATE_EXPIRATION] > 72h", "[CERTIFICATE_EXPIRATION] < 31d"] });
    expect(r).toMatchObject({ up: true, status: "pass", httpStatusCode: 200 });
    expect(r.phases?.tls).toBeGreaterThanOrEqual(0);
    const days = (Date.parse(r.tls!.notAfter) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThan(31);
  });

  it("verifies a trusted certificate by host name, measuring dns", async () => {
    const o = await probeHttp({ url: new URL(`https://localhost:${httpsPort}/health`), timeoutMs: 5000, ca: cert });
    expect(o.error).toBeUndefined();
    expect(o.status).toBe(200);
    expect(o.tls?.authorized).toBe(true);
    expect(o.phases.dns).toBeGreaterThanOrEqual(0);
  });

  it("reports a 503 with a failing health body as body_status, naming the component", async () => {
    const r = await runCheck({ name: "fail", url: `http://127.0.0.1:${httpPort}/fail` });
    expect(r).toMatchObject({ up: false, status: "fail", httpStatusCode: 503, error: { type: "body_status" } });
    expect(r.error?.message).toContain("redis:connections");
    const spring = await runCheck({ name: "spring", url: `http://127.0.0.1:${httpPort}/actuator/health` });
    expect(spring).toMatchObject({ error: { type: "body_status" }, health: { format: "spring-actuator", rawStatus: "DOWN" } });
    expect(spring.health?.components.find((c) => c.name === "db")).toMatchObject({ status: "fail", output: "Connection refused" });
  });

  it("reports malformed JSON as body_parse", async () => {
    const r = await runCheck({ name: "malformed", url: `http://127.0.0.1:${httpPort}/malformed` });
    expect(r).toMatchObject({ up: false, error: { type: "body_parse" } });
  });

  it("reports a 500 as http_status", async () => {
    const r = await runCheck({ name: "error", url: `http://127.0.0.1:${httpPort}/error` });
    expect(r).toMatchObject({ up: false, httpStatusCode: 500, error: { type: "http_status" } });
  });

  it("reports a failed condition with the value seen", async () => {
    const r = await runCheck({ name: "items", url: `http://127.0.0.1:${httpPort}/items`, conditions: ["[STATUS] == 200", "has([BODY].version) == true", "len([BODY].items) > 0"] });
    expect(r).toMatchObject({ up: false, error: { type: "condition" }, failedCondition: "len([BODY].items) (0) > 0" });
  });

  it("reports a name that does not resolve as dns, without leaving the machine", async () => {
    const r = await runCheck({ name: "dns", url: "http://vigie-check.invalid/health" });
    expect(r).toMatchObject({ up: false, error: { type: "dns" } });
    expect(r.error?.message).toContain("ENOTFOUND");
  });

  it("checks TCP ports: connected, or refused", async () => {
    const up = await runCheck({ name: "tcp-up", url: `tcp://127.0.0.1:${httpPort}`, conditions: ["[CONNECTED] == true"] });
    expect(up).toMatchObject({ up: true, status: "pass", check: { type: "tcp" } });
    expect(up.httpStatusCode).toBeUndefined();
    const s = createTcpServer();
    const port = await listen(s);
    await new Promise((r) => s.close(r));
    const down = await runCheck({ name: "tcp-down", url: `tcp://127.0.0.1:${port}` });
    expect(down).toMatchObject({ up: false, error: { type: "connect" } });
  });

  it("does not let a hanging endpoint delay the other checks", async () => {
    const runner = new CheckRunner({
      checks: [
        { name: "hanging", url: `http://127.0.0.1:${httpPort}/hang`, timeout: "5s", interval: "10s" },
        { name: "fast", url: `http://127.0.0.1:${httpPort}/health`, interval: "10s" },
      ],
      concurrency: 2,
      listTargets: false,
      log: testLog,
      maxJitterMs: 60_000,
      random: () => 0.999,
    });
    runner.start({ emit: async () => {} });
    const hanging = runner.runNow("config/hanging");
    const fast = await runner.runNow("config/fast");
    expect(fast?.up).toBe(true);
    // The fast check is back while the hanging one is still waiting for its answer.
    expect(runner.list().find((c) => c.definition.id === "config/hanging")?.last).toBeUndefined();
    const h = await hanging;
    expect(h?.error?.type).toBe("timeout");
    await runner.stop();
  });
});
