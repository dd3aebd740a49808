import { describe, expect, it } from "vitest";
import { normalizeStatus, parseHealthBody } from "../../agent/checks/health.js";

// Shaped after draft-inadarei-api-health-check-06 §8 (its complete example).
const healthJson = {
  status: "warn",
  version: "1",
  releaseId: "1.2.2",
  notes: [""],
  output: "",
  serviceId: "f03e522f-1f44-4062-9b55-9587f91c9c41",
  description: "health of authz service",
  checks: {
    "cassandra:responseTime": [
      { componentId: "dfd6cf2b-1b6e-4412-a0b8-f6f7797a60d2", componentType: "datastore", observedValue: 250, observedUnit: "ms", status: "pass", affectedEndpoints: ["/users/{userId}"], time: "2019-01-20T10:03:06+00:00", output: "" },
    ],
    "cassandra:connections": [{ componentId: "dfd6cf2b-1b6e-4412-a0b8-f6f7797a60d2", componentType: "datastore", observedValue: 75, status: "warn", time: "2019-01-20T10:03:06+00:00", output: "", links: { self: "http://api.example.com/dbnode/dfd6cf2b/health" } }],
    "uptime": [{ componentType: "system", observedValue: 1209600.245, observedUnit: "s", status: "pass", time: "2019-01-20T10:03:06+00:00" }],
    "cpu:utilization": [
      { componentId: "6fd416e0-8920-410f-9c7b-c479000f7227", node: 1, componentType: "system", observedValue: 85, observedUnit: "percent", status: "warn", time: "2019-01-20T10:03:06+00:00", output: "" },
      { componentId: "6fd416e0-8920-410f-9c7b-c479000f7228", node: 2, componentType: "system", observedValue: 85, observedUnit: "percent", status: "fail", time: "2019-01-20T10:03:06+00:00", output: "CPU at 85%" },
    ],
  },
  links: { about: "http://api.example.com/about/authz" },
};

// Spring Boot 2.2+ `/actuator/health` with show-details=always.
const springComponents = {
  status: "DOWN",
  components: {
    db: { status: "DOWN", details: { database: "PostgreSQL", error: "org.springframework.jdbc.CannotGetJdbcConnectionException: Failed to obtain JDBC Connection" } },
    diskSpace: { status: "UP", details: { total: 499963174912, free: 91003764736, threshold: 10485760, exists: true } },
    ping: { status: "UP" },
    readinessState: { status: "OUT_OF_SERVICE" },
    broker: { status: "UP", components: { primary: { status: "UP" }, secondary: { status: "UNKNOWN" } } },
  },
  groups: ["liveness", "readiness"],
};

// Spring Boot 2.0/2.1 (and v2 media type): indicators under `details`.
const springDetails = {
  status: "UP",
  details: {
    diskSpace: { status: "UP", details: { total: 250685575168, free: 118179185664, threshold: 10485760 } },
    redis: { status: "UP", details: { version: "5.0.3" } },
  },
};

// Spring Boot 1.x: indicators at the root.
const springRoot = { status: "UP", diskSpace: { status: "UP", total: 1, free: 1, threshold: 1 }, db: { status: "UP", database: "H2", hello: 1 } };

describe("health body parsers", () => {
  it("normalizes both vocabularies and their aliases", () => {
    expect(["pass", "ok", "UP", "up"].map(normalizeStatus)).toEqual(["pass", "pass", "pass", "pass"]);
    expect(["fail", "error", "DOWN", "OUT_OF_SERVICE"].map(normalizeStatus)).toEqual(["fail", "fail", "fail", "fail"]);
    expect(normalizeStatus("warn")).toBe("warn");
    expect(["UNKNOWN", "FATAL", 3, undefined].map(normalizeStatus)).toEqual(["unknown", "unknown", "unknown", "unknown"]);
  });

  it("reads application/health+json with its checks, one component per node", () => {
    const v = parseHealthBody(healthJson, "application/health+json")!;
    expect(v.format).toBe("health+json");
    expect(v.status).toBe("warn");
    expect(v.components.map((c) => [c.name, c.status])).toEqual([
      ["cassandra:responseTime", "pass"],
      ["cassandra:connections", "warn"],
      ["uptime", "pass"],
      ["cpu:utilization/6fd416e0-8920-410f-9c7b-c479000f7227", "warn"],
      ["cpu:utilization/6fd416e0-8920-410f-9c7b-c479000f7228", "fail"],
    ]);
    expect(v.components[0]).toMatchObject({ componentType: "datastore", observedValue: 250, observedUnit: "ms" });
    expect(v.components[4]?.output).toBe("CPU at 85%");
  });

  it("recognizes health+json by shape when served as application/json", () => {
    expect(parseHealthBody({ status: "fail", checks: {} }, "application/json")).toMatchObject({ format: "health+json", status: "fail" });
    expect(parseHealthBody({ status: "ok" }, "application/json")).toMatchObject({ format: "health+json", status: "pass" });
  });

  it("reads Spring Boot components, nested ones and the error of a down indicator", () => {
    const v = parseHealthBody(springComponents, "application/vnd.spring-boot.actuator.v3+json")!;
    expect(v).toMatchObject({ format: "spring-actuator", status: "fail", rawStatus: "DOWN" });
    expect(v.components.map((c) => [c.name, c.status])).toEqual([
      ["db", "fail"],
      ["diskSpace", "pass"],
      ["ping", "pass"],
      ["readinessState", "fail"],
      ["broker", "pass"],
      ["broker/primary", "pass"],
      ["broker/secondary", "unknown"],
    ]);
    expect(v.components[0]?.output).toContain("CannotGetJdbcConnectionException");
    expect(v.components[3]?.rawStatus).toBe("OUT_OF_SERVICE");
  });

  it("reads the older `details` form and the 1.x root form", () => {
    const d = parseHealthBody(springDetails, "application/json")!;
    expect(d).toMatchObject({ format: "spring-actuator", status: "pass" });
    expect(d.components.map((c) => c.name)).toEqual(["diskSpace", "redis"]);
    const r = parseHealthBody(springRoot, "application/json")!;
    expect(r.components.map((c) => c.name)).toEqual(["diskSpace", "db"]);
  });

  it("does not mistake a component's plain details for indicators", () => {
    const v = parseHealthBody({ status: "UP", components: { db: { status: "UP", details: { database: "x", validationQuery: "isValid()" } } } }, "application/json")!;
    expect(v.components.map((c) => c.name)).toEqual(["db"]);
  });

  it("leaves other JSON to the conditions", () => {
    expect(parseHealthBody({ status: "green", nodes: 3 }, "application/json")).toBeUndefined();
    expect(parseHealthBody({ items: [] }, "application/json")).toBeUndefined();
    expect(parseHealthBody([1, 2], "application/json")).toBeUndefined();
  });
});
