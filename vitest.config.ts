import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["packages/*/test/**/*.test.ts"],
    // One test file at a time: the million-token stream and the CLI's subprocesses each keep a core busy for a
    // minute, and run side by side on two cores they starved vitest's worker RPC ("Timeout calling onTaskUpdate").
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000
  }
})
