import type Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CheckRunner } from "../../agent/checks/runner.js";
import { dockerTargets } from "../../agent/checks/docker-targets.js";
import { DockerEngine, dockerApi } from "../../agent/containers/index.js";
import { recordingEmitter } from "../support/emitter.js";
import { createService, DOCKER_SOCKET, ensureDocker, removeContainer, removeService, runContainer, uniqueName } from "../support/docker.js";
import { testLog } from "../support/log.js";
import { freePort } from "../support/ports.js";
import { waitFor } from "../support/wait.js";

describe("status checks discovered from vigie.check.* labels on the real Docker engine", () => {
  let docker: Docker;
  const created: string[] = [];
  const services: string[] = [];
  let runner: CheckRunner | undefined;

  beforeAll(async () => {
    docker = await ensureDocker();
  });

  afterAll(async () => {
    await runner?.stop();
    for (const name of created) await removeContainer(docker, name);
    for (const name of services) await removeService(docker, name);
  });

  it("discovers a labelled container, checks it over loopback, and forgets it when removed", async () => {
    const port = await freePort();
    const web = uniqueName("checks-web");
    const bridged = uniqueName("checks-nonet");
    created.push(web, bridged);
    // busybox httpd on the host network, bound to 127.0.0.1 only, serving a Spring-style health body.
    await runContainer(docker, {
      name: web,
      cmd: ["sh", "-c", `mkdir -p /www && echo '{"status":"UP","components":{"disk":{"status":"UP"}}}' > /www/health && exec httpd -f -p 127.0.0.1:${port} -h /www`],
      labels: {
        "vigie.check.port": String(port),
        "vigie.check.path": "/health",
        "vigie.check.interval": "300ms",
        "vigie.check.conditions": "[STATUS] == 200; [BODY].status == UP",
      },
    });
    // Not on the host network: Vigie does not probe container addresses, it says so.
    await runContainer(docker, { name: bridged, network: "none", cmd: ["sleep", "600"], labels: { "vigie.check.port": "80" } });

    runner = new CheckRunner({ listTargets: dockerTargets(new DockerEngine(dockerApi({ socketPath: DOCKER_SOCKET }))), discoveryIntervalMs: 300, maxJitterMs: 300, log: testLog });
    runner.start(recordingEmitter());

    const result = await waitFor(
      "a passing result for the labelled container",
      () => runner!.list().find((c) => c.definition.id === `container/${web}` && c.last?.up)?.last,
      30_000,
    );
    expect(result).toMatchObject({ state: "up", status: "pass", httpStatusCode: 200, target: { url: `http://127.0.0.1:${port}/health` }, health: { format: "spring-actuator" } });
    expect(result.resource["container.name"]).toBe(web);
    expect(result.conditions?.every((c) => c.success)).toBe(true);

    const error = await waitFor("the non-host-network container's check in error", () => runner!.list().find((c) => c.definition.id === `container/${bridged}` && c.last)?.last, 30_000);
    expect(error).toMatchObject({ state: "error", error: { type: "config" } });
    expect(error.error?.message).toContain("needs host networking");

    await removeContainer(docker, web);
    await waitFor("the removed container's check to stop", () => !runner!.list().some((c) => c.definition.id === `container/${web}`), 30_000);
    expect(runner.list().some((c) => c.definition.id === `container/${bridged}`)).toBe(true);
  });

  it("reads the labels of a Swarm service (on a manager) for its task containers", async () => {
    const port = await freePort();
    const name = uniqueName("checks-svc");
    services.push(name);
    await createService(docker, {
      name,
      cmd: ["sh", "-c", `mkdir -p /www && echo '{"status":"pass"}' > /www/health && exec httpd -f -p 127.0.0.1:${port} -h /www`],
      labels: { "vigie.check.port": String(port), "vigie.check.path": "/health", "vigie.check.interval": "300ms" },
      containerLabels: { "com.docker.stack.namespace": "vigietest" },
    });
    const svcRunner = new CheckRunner({ listTargets: dockerTargets(new DockerEngine(dockerApi({ socketPath: DOCKER_SOCKET }))), discoveryIntervalMs: 300, maxJitterMs: 300, log: testLog });
    svcRunner.start(recordingEmitter());
    try {
      const result = await waitFor(
        "a passing result for the service's task",
        () => svcRunner.list().find((c) => c.definition.name === name && c.last?.up)?.last,
        60_000,
      );
      expect(result).toMatchObject({ state: "up", status: "pass", health: { format: "health+json" } });
      expect(result.check.id).toMatch(new RegExp(`^container/${name}\\.1\\.`));
      expect(result.resource["service.namespace"]).toBe("vigietest");
      await removeService(docker, name);
      await waitFor("the service's check to stop", () => !svcRunner.list().some((c) => c.definition.name === name), 30_000);
    } finally {
      await svcRunner.stop();
    }
  });
});
