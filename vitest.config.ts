import { defineConfig } from "vitest/config";

// Unit tests are pure and run in parallel. Integration and e2e tests start real services
// (nats-server, dockerd, Prometheus, Alertmanager) and share one Docker engine: one file at a time.
export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"], environment: "node", testTimeout: 10_000 } },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/e2e/**/*.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          pool: "forks",
          fileParallelism: false,
        },
      },
    ],
  },
});
