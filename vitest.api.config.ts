// API tests: the real app (buildApp) on a fresh SQLite file or PostgreSQL database per test file.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/api/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['./tests/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The export test measures retained heap, which needs a collection on demand.
    execArgv: ['--expose-gc'],
  },
})
