import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckRunner, dockerTargets, ServiceCheckLabels } from "../../agent/checks/index.js";
import type { DockerEngine, ListedContainer } from "../../agent/containers/engine.js";
import { CheckDefinitionsPublisher } from "../../collector/swarm/check-definitions.js";
import { buildView, type ApiService } from "../../collector/swarm/model.js";
import { testLog } from "../support/log.js";
import { startNats, type NatsServer } from "../support/nats.js";
import { waitFor } from "../support/wait.js";

const SERVICE_ID = "svcwebid0123456789abcdefg";

/**
 * The engine of a Swarm worker as the agent sees it: it lists the node's containers (a task of
 * `shop_web`, on the host network, and one on an overlay network), and refuses to say what a
 * service is, with the engine's own words.
 */
function workerEngine(): DockerEngine {
  const task = (name: string, networkMode: string, serviceId: string): ListedContainer => ({
    Id: `${name}-id`,
    Names: [`/${name}`],
    State: "running",
    Labels: { "com.docker.swarm.service.id": serviceId, "com.docker.swarm.service.name": name.split(".")[0] as string },
    HostConfig: { NetworkMode: networkMode },
  });
  return {
    listContainers: async () => [task("shop_web.1.abc", "host", SERVICE_ID), task("shop_api.1.def", "overlay_net", "svcapiid")],
    service: async () => {
      throw new Error("(HTTP code 503) unexpected - This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state.");
    },
  } as unknown as DockerEngine;
}

describe("checks declared on a service run on a node that cannot read services", () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  let http: Server;
  let url: string;
  let published: ServiceCheckLabels;

  beforeAll(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
    http = createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("ok"));
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/health`;
    // The agent starts before the collector: the bucket does not exist yet.
    published = ServiceCheckLabels.watch({ natsUrl: nats.url }, testLog, { retryMs: 100 });
  });

  afterAll(async () => {
    await published?.close();
    await nc?.close();
    await nats?.dispose();
    await new Promise((resolve) => http?.close(resolve));
  });

  it("runs the check of a service whose labels the collector published", async () => {
    const services: ApiService[] = [
      { ID: SERVICE_ID, Spec: { Name: "shop_web", Labels: { "vigie.check.url": url, "vigie.check.interval": "1s", "com.docker.stack.namespace": "shop" } } },
      { ID: "svcapiid", Spec: { Name: "shop_api", Labels: { "vigie.check.port": "8080" } } },
      { ID: "svcplain", Spec: { Name: "shop_db" } },
    ];
    const collector = new CheckDefinitionsPublisher(nc, testLog);
    await collector.publish(buildView([], services, [], Date.now()));
    await waitFor("the agent to see the published labels", () => published.size === 2 || undefined, 10_000);
    expect(published.get(SERVICE_ID)).toEqual({ "vigie.check.url": url, "vigie.check.interval": "1s" });
    expect(published.get("svcplain")).toBeUndefined();

    const runner = new CheckRunner({ listTargets: dockerTargets(workerEngine(), { published: (id) => published.get(id) }), log: testLog });
    try {
      await runner.discover();
      const web = runner.list().find((c) => c.definition.id === "container/shop_web.1.abc");
      expect(String(web?.definition.url)).toBe(url);
      const result = await runner.runNow("container/shop_web.1.abc");
      expect(result?.up).toBe(true);
      expect(result?.httpStatusCode).toBe(200);

      // A port on a task outside the host network: the error says what to use instead.
      const api = await runner.runNow("container/shop_api.1.def");
      expect(api?.up).toBe(false);
      expect(api?.error?.message).toMatch(/vigie\.check\.port needs host networking.*vigie\.check\.url/);
    } finally {
      await runner.stop();
    }
  });

  it("forgets a service's checks once the collector sees it without labels", async () => {
    const collector = new CheckDefinitionsPublisher(nc, testLog);
    await collector.publish(buildView([], [{ ID: SERVICE_ID, Spec: { Name: "shop_web" } }], [], Date.now()));
    await waitFor("the deletion to reach the agent", () => published.size === 0 || undefined, 10_000);
    expect(published.get(SERVICE_ID)).toBeUndefined();
  });
});
