import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { Registry } from "prom-client";
import { buildApi } from "../../collector/api/server.js";
import { containerRoutes } from "../../collector/api/routes/containers.js";
import { systemRoutes } from "../../collector/api/routes/system.js";
import { ChecksState, checkRoutes } from "../../collector/checks/index.js";
import { openModel, type ClusterModel } from "../../collector/model/index.js";
import { waitFor } from "../support/wait.js";

const NOW = Date.now();

/** A raw client: what it sent, what came back, and whether the server closed it. */
function rawClient(port: number) {
  const socket = net.connect(port, "127.0.0.1");
  const state = { received: "", closed: false };
  socket.on("data", (b) => (state.received += b.toString()));
  socket.on("close", () => (state.closed = true));
  socket.on("error", () => undefined);
  const ready = new Promise<void>((r) => {
    socket.once("connect", () => r());
    socket.once("close", () => r());
  });
  return { socket, state, ready };
}

describe("the API's HTTP server against slow, numerous and malformed clients", () => {
  let app: FastifyInstance;
  let port: number;
  let model: ClusterModel;
  const checks = new ChecksState({ maxChecksPerNode: 200 });

  beforeAll(async () => {
    model = openModel({ now: () => NOW });
    const resources = Array.from({ length: 2500 }, (_, i) => ({ resource: { "container.id": `c${String(i).padStart(4, "0")}`, "container.name": `app_web.${i}.x`, "service.namespace": "app" }, metrics: [] }));
    model.apply({ schema: "vigie.v1", kind: "metrics", node: { id: "n1", hostname: "h1" }, agent: { version: "t", bootId: "b", seq: 1 }, time: NOW, payload: { resources } }, NOW);
    const results = Array.from({ length: 1000 }, (_, i) => ({
      check: { id: `config/c${i}`, name: `c${i}`, type: "http" as const, intervalSeconds: 10 }, target: {}, resource: {}, time: NOW, up: true, status: "pass" as const, state: "up" as const, stateSince: NOW, durationSeconds: 0,
    }));
    checks.apply({ schema: "vigie.v1", kind: "status", node: { id: "n1", hostname: "h1" }, agent: { version: "t", bootId: "b", seq: 2 }, time: NOW, payload: { results } }, NOW);
    app = buildApi({
      routes: [
        systemRoutes({ registry: new Registry(), health: () => ({ ok: true, details: {} }) }),
        containerRoutes({ model }),
        checkRoutes({ state: checks, now: () => NOW }),
        (a) => a.post("/api/v1/echo", { schema: { summary: "test" } }, async (req) => ({ got: req.body })),
        (a) => a.get<{ Params: { id: string } }>("/api/v1/things/:id", { schema: { summary: "test" } }, async (req) => ({ id: req.params.id })),
      ],
      http: { requestTimeoutMs: 1500, headersTimeoutMs: 800, idleTimeoutMs: 3000, maxConnections: 20, timeoutCheckMs: 100 },
    });
    await app.listen({ host: "127.0.0.1", port: 0 });
    port = (app.server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    await app?.close();
    model?.close(NOW);
  });

  it("answers 408 to a body sent a byte at a time, and closes the socket", async () => {
    const c = rawClient(port);
    await c.ready;
    c.socket.write("POST /api/v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n");
    const drip = setInterval(() => c.socket.writable && c.socket.write(" "), 200);
    await waitFor("the server to close the slow client", () => c.state.closed, 20_000);
    clearInterval(drip);
    expect(c.state.received).toMatch(/^HTTP\/1\.1 408 /);
    expect(JSON.parse(c.state.received.slice(c.state.received.indexOf("\r\n\r\n") + 4)).error.code).toBe("request_timeout");
  });

  it("answers 408 to headers sent a byte at a time", async () => {
    const c = rawClient(port);
    await c.ready;
    c.socket.write("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    const drip = setInterval(() => c.socket.writable && c.socket.write("X"), 100);
    await waitFor("the server to close the slow client", () => c.state.closed, 20_000);
    clearInterval(drip);
    expect(c.state.received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("closes connections past the cap at once, and serves again when they are gone", async () => {
    const clients = Array.from({ length: 40 }, () => rawClient(port));
    await Promise.all(clients.map((c) => c.ready));
    await waitFor("the extra connections closed", () => clients.filter((c) => c.state.closed).length >= 20, 10_000);
    expect(clients.filter((c) => !c.state.closed).length).toBeLessThanOrEqual(20);
    for (const c of clients) c.socket.destroy();
    const ok = await waitFor("/healthz again", async () => ((await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) })).status === 200 ? true : undefined), 10_000);
    expect(ok).toBe(true);
  });

  it.each([
    ["headers too large", { headers: { "x-big": "y".repeat(40_000) } }, "/healthz", 431],
    ["a bad URL encoding", {}, "/api/v1/things/%zz", 400],
    ["a path parameter too long", {}, `/api/v1/things/${"x".repeat(500)}`, 414],
    ["a body that is not JSON", { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" }, "/api/v1/echo", 400],
    ["an unsupported media type", { method: "POST", headers: { "content-type": "application/x-weird" }, body: "x" }, "/api/v1/echo", 415],
  ])("answers %s in the API's error shape", async (_what, init, route, status) => {
    const res = await fetch(`http://127.0.0.1:${port}${route}`, init);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(res.status).toBe(status);
    expect(typeof body.error.code).toBe("string");
    expect(body.error.message.length).toBeGreaterThan(0);
    expect(Object.keys(body)).toEqual(["error"]);
  });

  it("pages the containers: at most 1000 per answer, every one on some page once", async () => {
    const ids: string[] = [];
    let offset: number | null = 0;
    let pages = 0;
    while (offset !== null) {
      const body = (await (await fetch(`http://127.0.0.1:${port}/api/v1/containers?offset=${offset}`)).json()) as { containers: { id: string }[]; next: number | null };
      expect(body.containers.length).toBeLessThanOrEqual(1000);
      ids.push(...body.containers.map((c) => c.id));
      offset = body.next;
      pages++;
    }
    expect(pages).toBe(3);
    expect(new Set(ids).size).toBe(2500);
    expect((await fetch(`http://127.0.0.1:${port}/api/v1/containers?limit=5000`)).status).toBe(400);
  });

  it("keeps at most maxChecksPerNode checks of one node, counts the rest, and pages /api/v1/checks", async () => {
    expect(checks.list()).toHaveLength(200);
    expect(checks.dropped).toBe(800);
    const body = (await (await fetch(`http://127.0.0.1:${port}/api/v1/checks?limit=150`)).json()) as { checks: unknown[]; next: number | null };
    expect(body.checks).toHaveLength(150);
    expect(body.next).toBe(150);
  });
});
