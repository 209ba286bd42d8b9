import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // End-to-end tests start in-process SSH servers and TLS listeners; give them room on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Every printed recovery command is checked: never a delete without the add that puts it back.
    setupFiles: ["test/support/recovery-audit-setup.ts"],
    // Every temporary file of the run under one folder, removed at the end (test/support/temp-root.ts).
    globalSetup: ["test/support/temp-root.ts"],
  },
});
