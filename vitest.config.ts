// Unit and component tests only; API tests have vitest.api.config.ts, browser journeys are Playwright's.
import { defineConfig } from 'vitest/config'
import react from '@vitejs/plugin-react'

export default defineConfig({
  plugins: [react()],
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'contract/**/*.test.ts', 'server/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['./src/testing/setup.ts'],
    // A wizard walked with user-event takes a few hundred ms on an idle core and several seconds on a
    // busy one (CI beside other work): the default 5 s made those tests fail on load, not on behaviour.
    testTimeout: 20_000,
  },
})
