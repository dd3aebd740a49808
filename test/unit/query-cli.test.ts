import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUERIES } from "../../cli/query.js";
import { buildApi } from "../../collector/api/server.js";
import { containerRoutes } from "../../collector/api/routes/containers.js";
import { openModel } from "../../collector/model/index.js";
import { groupServices as services, type ContainerView } from "../../collector/model/services.js";
import type { EnvelopeOf } from "../../protocol/index.js";

const T0 = 1_700_000_000_000;

function env(seq: number): EnvelopeOf<"metrics"> {
  return {
    schema: "vigie.v1", kind: "metrics", node: { id: "n1", hostname: "worker-1" }, agent: { version: "t", bootId: "b", seq }, time: T0 + seq * 10_000,
    payload: {
      resources: [{
        resource: { "container.id": "c1", "container.name": "shop_web.1.abc", "service.name": "web", "service.namespace": "shop", "docker.swarm.service.name": "shop_web", "docker.swarm.task.slot": 1 },
        metrics: [
          { name: "container.cpu.time", type: "counter", unit: "s", points: [{ attributes: { "cpu.mode": "user" }, value: seq * 2.5 }] },
          { name: "container.memory.working_set", type: "updowncounter", unit: "By", points: [{ value: 64 * 1024 * 1024 }] },
          { name: "vigie.container.state", type: "gauge", unit: "1", points: [{ attributes: { "container.state": "running" }, value: 1 }] },
        ],
      }],
    },
  };
}

describe("vigie query containers|services (tables from the API)", () => {
  const model = openModel({ now: () => T0 });
  const app = buildApi({ routes: [containerRoutes({ model })] });
  let url = "";
  beforeAll(async () => {
    for (const seq of [1, 2]) model.apply(env(seq), T0 + seq * 10_000);
    url = await app.listen({ host: "127.0.0.1", port: 0 });
  });
  afterAll(async () => {
    await app.close();
    model.close(T0);
  });
  const run = async (what: string, json = false) => {
    let text = "";
    await QUERIES[what]!({ apiUrl: url, json, out: (t) => (text += t) });
    return text;
  };

  it("prints one row per container with its stack, service, slot, CPU and memory", async () => {
    const lines = (await run("containers")).trim().split("\n");
    expect(lines[0]).toMatch(/^NODE\s+CONTAINER\s+STACK\s+SERVICE\s+SLOT\s+STATE/);
    expect(lines[1]).toMatch(/^worker-1\s+shop_web\.1\.abc\s+shop\s+shop_web\s+1\s+running\s+0\.25/);
  });

  it("prints services with their replicas, and JSON on --json", async () => {
    expect((await run("services")).trim().split("\n")[1]).toMatch(/^shop_web\s+shop\s+1\s+1\s+worker-1\s+0\.25/);
    expect(JSON.parse(await run("services", true))).toMatchObject([{ name: "shop_web", replicas: { running: 1, healthy: 1 } }]);
  });

  it("takes desired replicas from the Swarm view when there is one", () => {
    const c = { name: "shop_web.1.a", node: "w1", stack: "shop", service: "web", swarmService: "shop_web", state: "running", health: "unhealthy", cpuCores: 0.5, memory: { workingSetBytes: 10 }, restarts: 1 } as ContainerView;
    expect(services([c], (name) => (name === "shop_web" ? 3 : undefined))).toMatchObject([{ name: "shop_web", replicas: { desired: 3, running: 1, healthy: 0 }, restarts: 1 }]);
  });
});
