#!/usr/bin/env bash
# npm test: every check, in order of speed. Fails at the first failing step.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n=== %s ===\n' "$1"; }

step "lint"; npx eslint .
step "type-check"; npx tsc --noEmit -p tsconfig.json
step "unit and component tests"; npx vitest run
step "API tests on SQLite"; TEST_DB=sqlite npx vitest run --config vitest.api.config.ts
step "API tests on PostgreSQL"; TEST_DB=postgres npx vitest run --config vitest.api.config.ts
step "console build and size budget"; npx vite build --logLevel warn && node scripts/check-bundle.mjs
step "browser journeys (Chromium)"; npx playwright test
