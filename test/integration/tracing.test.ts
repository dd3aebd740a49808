import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type Agent } from "../../agent/index.js";
import { startCollector, type Collector } from "../../collector/index.js";
import { startTracing, type Tracing } from "../../lib/index.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { agentTestOptions, collectorTestOptions } from "../support/vigie.js";
import { waitFor } from "../support/wait.js";

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/** A minimal OTLP/HTTP (JSON) trace receiver on loopback: what an OTel Collector would get. */
async function otlpReceiver(): Promise<{ server: Server; url: string; spans: OtlpSpan[] }> {
  const spans: OtlpSpan[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      if (req.url === "/v1/traces") {
        const doc = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const rs of doc.resourceSpans) for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${addr.port}`, spans };
}

describe("tracing of the pipeline", () => {
  let nats: NatsServer;
  let dataDir: string;
  let receiver: Awaited<ReturnType<typeof otlpReceiver>>;
  let tracing: Tracing;
  let collector: Collector | undefined;
  let agent: Agent | undefined;

  beforeAll(async () => {
    receiver = await otlpReceiver();
    nats = await startNats();
    dataDir = mkdtempSync(path.join(tmpdir(), "vigie-trace-"));
  });

  afterAll(async () => {
    await agent?.stop();
    await collector?.stop();
    await nats?.dispose();
    receiver?.server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("is off when no OTLP endpoint is set", async () => {
    const off = await startTracing("vigie-test", "t", {});
    expect(off.enabled).toBe(false);
  });

  it("carries one trace from sampling through publish to ingest and store, over NATS headers", async () => {
    tracing = await startTracing("vigie-test", "t", { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: "vigie-test" });
    expect(tracing.enabled).toBe(true);
    collector = await startCollector(collectorTestOptions(nats.url, dataDir));
    agent = await startAgent(agentTestOptions(nats.url, dataDir, { intervalMs: 300, nodeId: "trace-node", hostname: "trace-host" }));
    await waitFor("a few messages stored", () => collector!.ingest.stats.accepted >= 3);
    await agent.stop();
    agent = undefined;
    await tracing.shutdown(); // flushes the batch processor to the receiver

    const byName = (n: string) => receiver.spans.filter((s) => s.name === n);
    const store = byName("vigie.store")[0];
    expect(store).toBeDefined();
    const ingest = receiver.spans.find((s) => s.spanId === store!.parentSpanId);
    expect(ingest?.name).toBe("vigie.ingest");
    const publish = receiver.spans.find((s) => s.spanId === ingest!.parentSpanId);
    expect(publish?.name).toBe("vigie.publish");
    const sample = receiver.spans.find((s) => s.spanId === publish!.parentSpanId);
    expect(sample?.name).toBe("vigie.sample");
    expect(new Set([store!.traceId, ingest!.traceId, publish!.traceId, sample!.traceId]).size).toBe(1);
  });
});
