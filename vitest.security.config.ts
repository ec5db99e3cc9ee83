// The reliability and security suite (issue 7): fuzz, crash, races, sqlmap, soak, then the secrets scan.
// Files run one at a time in name order, so the scan (99-…) comes last and load parts do not overlap.
import { defineConfig } from 'vitest/config'
import { BaseSequencer, type TestSpecification } from 'vitest/node'

class ByName extends BaseSequencer {
  override async sort(files: TestSpecification[]) {
    return [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId))
  }
}

export default defineConfig({
  test: {
    include: ['tests/security/**/*.test.ts'],
    environment: 'node',
    globalSetup: ['./tests/support/global-setup.ts'],
    pool: 'forks',
    fileParallelism: false,
    sequence: { sequencer: ByName },
    testTimeout: 15 * 60_000,
    hookTimeout: 2 * 60_000,
    // Figures are printed as each part ends; keep them readable in CI logs.
    reporters: ['default'],
  },
})
