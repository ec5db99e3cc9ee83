// Unit and component tests only; API tests have vitest.api.config.ts, browser journeys are Playwright's.
import { defineConfig } from 'vitest/config'
import react from '@vitejs/plugin-react'

export default defineConfig({
  plugins: [react()],
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'contract/**/*.test.ts', 'server/**/*.test.ts'],
    environment: 'node',
    setupFiles: ['./src/testing/setup.ts'],
  },
})
