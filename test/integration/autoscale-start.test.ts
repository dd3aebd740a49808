import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Docker from "dockerode";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApi } from "../../collector/api/server.js";
import { AutoscaleSectionSchema, startAutoscaler } from "../../collector/autoscale/index.js";
import type { AutoscaleService } from "../../collector/autoscale/ports.js";
import { testLog } from "../support/log.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { waitFor } from "../support/wait.js";

/** The autoscaler as the collector starts it: lease in a real nats-server, trail on disk, routes and metrics. */
describe("startAutoscaler", () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let dir: string;
  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    dir = mkdtempSync(path.join(tmpdir(), "vigie-autoscale-start-"));
  });
  afterAll(async () => {
    await nc?.close();
    await nats?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("takes the lease, evaluates, serves its routes and metrics, and keeps its trail across a restart", async () => {
    const invalid: AutoscaleService = { id: "s1", name: "shop_web", labels: { "vigie.autoscale.enabled": "true", "vigie.autoscale.max": "-1" }, version: 1, mode: "replicated", replicas: 1, updateState: "none", tasks: [] };
    const deps = {
      section: AutoscaleSectionSchema.parse({ interval: "1s", leaseTtl: "3s", leaseBucket: "vigie_autoscale_start" }),
      nc,
      // Never called: the only service has an invalid policy, so nothing is scaled.
      docker: new Docker({ socketPath: path.join(dir, "no-docker.sock") }),
      services: { services: async () => [invalid] },
      metrics: { cpuCores: async () => [], memoryBytes: async () => [], checkValue: async () => [] },
      dataDir: dir,
      holderId: "test-collector",
      log: testLog,
      now: Date.now,
    };
    const first = await startAutoscaler(deps);
    const registry = new Registry();
    first.registerMetrics(registry);
    const app = buildApi({ routes: [first.routes] });
    await waitFor("an invalid-policy decision", () => first.audit.list({ reason: "invalid_policy" }).length > 0, 15_000, 100);
    const status = (await app.inject({ method: "GET", url: "/api/v1/autoscale" })).json<{ leader: boolean; services: { service: string; valid: boolean }[] }>();
    expect(status.leader).toBe(true);
    expect(status.services).toEqual([expect.objectContaining({ service: "shop_web", valid: false })]);
    expect(await registry.metrics()).toContain("vigie_autoscale_leader 1");
    await app.close();
    await first.stop();

    const second = await startAutoscaler(deps);
    expect(second.audit.list({ service: "shop_web" })[0]).toMatchObject({ reason: "invalid_policy" });
    await second.stop();
  });
});
