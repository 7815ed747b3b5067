import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Integration and e2e tests share one dockerd and two cores: run files one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      { extends: true, test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      { extends: true, test: { name: "integration", include: ["test/integration/**/*.test.ts"] } },
      {
        extends: true,
        test: { name: "security", include: ["test/security/**/*.test.ts"], testTimeout: 300_000 },
      },
      { extends: true, test: { name: "e2e", include: ["test/e2e/**/*.test.ts"], testTimeout: 300_000 } },
    ],
  },
});
