#!/usr/bin/env bash
# npm test: every check, in order of speed. Stops at the first failing step and ends with one line
# "N passed, N failed" totalling the tests of every runner.
set -euo pipefail
cd "$(dirname "$0")/.."

logdir=$(mktemp -d)
trap 'rm -rf "$logdir"' EXIT
passed=0
failed=0

step() {
  local name=$1; shift
  printf '\n=== %s ===\n' "$name"
  local log="$logdir/step.log"
  set +e
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  # Vitest: "Tests  12 passed | 1 failed (13)"; Playwright: "  9 passed (1.1m)", "  1 failed".
  local clean
  clean=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
  local p f
  p=$(grep -oE '^ *Tests +([0-9]+ failed \| )?[0-9]+ passed' <<<"$clean" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' | awk '{s+=$1} END {if (NR) print s}' || true)
  f=$(grep -oE '^ *Tests +[0-9]+ failed' <<<"$clean" | grep -oE '[0-9]+' | awk '{s+=$1} END {if (NR) print s}' || true)
  if [ -z "$p" ]; then p=$(grep -oE '^ +[0-9]+ passed \(' <<<"$clean" | grep -oE '[0-9]+' | head -1 || true); fi
  if [ -z "$f" ]; then f=$(grep -oE '^ +[0-9]+ failed$' <<<"$clean" | grep -oE '[0-9]+' | head -1 || true); fi
  # Plain scripts: "8 passed, 0 failed" on a line of its own.
  if [ -z "$p" ]; then p=$(grep -oE '^[0-9]+ passed, [0-9]+ failed$' <<<"$clean" | tail -1 | grep -oE '^[0-9]+' || true); fi
  if [ -z "$f" ]; then f=$(grep -oE '^[0-9]+ passed, [0-9]+ failed$' <<<"$clean" | tail -1 | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || true); fi
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [ "$rc" -ne 0 ]; then
    printf '\n%s failed (exit %s)\n%d passed, %d failed\n' "$name" "$rc" "$passed" "$((failed > 0 ? failed : 1))"
    exit "$rc"
  fi
}

step "lint" npx eslint .
step "type-check" npx tsc --noEmit -p tsconfig.json
step "unit and component tests" npx vitest run
step "API tests on SQLite" env TEST_DB=sqlite npx vitest run --config vitest.api.config.ts
step "API tests on PostgreSQL" env TEST_DB=postgres npx vitest run --config vitest.api.config.ts
step "console build and size budget" bash -c 'npx vite build --logLevel warn && node scripts/check-bundle.mjs'
# What npm ci && npm run build && npm prune --omit=dev leaves must run the product on its own.
step "production install (compiled server, production dependencies only)" bash scripts/check-production.sh
step "browser journeys (Chromium)" npx playwright test
# Fuzz, crash durability, races, sqlmap, soak and a secrets scan on both databases (about 15 minutes).
step "reliability and security suite" bash scripts/test-security.sh

printf '\n%d passed, %d failed\n' "$passed" "$failed"
