#!/usr/bin/env bash
# npm test: every check. Steps that do not depend on each other run side by side in groups (most of
# their time is spent waiting on servers, databases and the browser, not on the two cores); each
# parallel step's lines are prefixed with its short name as they come. A group that has a failing
# step ends the run. Prints each step's time and ends with one line "N passed, N failed" totalling the
# tests of every runner.
set -euo pipefail
cd "$(dirname "$0")/.."

logdir=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  rm -rf "$logdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
passed=0
failed=0
started=$SECONDS

# count LOG: adds the tests a step's log reports to the totals.
count() {
  # Vitest: "Tests  12 passed | 1 failed (13)"; Playwright: "  9 passed (1.1m)", "  1 failed".
  local clean p f
  clean=$(sed 's/\x1b\[[0-9;]*m//g; s/^\[[a-z0-9-]*\] //' "$1")
  p=$(grep -oE '^ *Tests +([0-9]+ failed \| )?[0-9]+ passed' <<<"$clean" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' | awk '{s+=$1} END {if (NR) print s}' || true)
  f=$(grep -oE '^ *Tests +[0-9]+ failed' <<<"$clean" | grep -oE '[0-9]+' | awk '{s+=$1} END {if (NR) print s}' || true)
  if [ -z "$p" ]; then p=$(grep -oE '^ +[0-9]+ passed \(' <<<"$clean" | grep -oE '[0-9]+' | head -1 || true); fi
  if [ -z "$f" ]; then f=$(grep -oE '^ +[0-9]+ failed$' <<<"$clean" | grep -oE '[0-9]+' | head -1 || true); fi
  # Plain scripts: "8 passed, 0 failed" on a line of its own.
  if [ -z "$p" ]; then p=$(grep -oE '^[0-9]+ passed, [0-9]+ failed$' <<<"$clean" | tail -1 | grep -oE '^[0-9]+' || true); fi
  if [ -z "$f" ]; then f=$(grep -oE '^[0-9]+ passed, [0-9]+ failed$' <<<"$clean" | tail -1 | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' || true); fi
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
}

stop_failed() {
  printf '\n%s failed (exit %s) after %d s\n%d passed, %d failed\n' "$1" "$2" "$((SECONDS - started))" "$passed" "$((failed > 0 ? failed : 1))"
  exit "$2"
}

# step NAME COMMAND...: one step on its own, its output as it comes.
step() {
  local name=$1; shift
  printf '\n=== %s ===\n' "$name"
  local log="$logdir/step.log" t0=$SECONDS
  set +e
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  count "$log"
  printf '=== %s: %s in %d s ===\n' "$name" "$([ "$rc" -eq 0 ] && echo ok || echo FAILED)" "$((SECONDS - t0))"
  [ "$rc" -eq 0 ] || stop_failed "$name" "$rc"
}

# group "SHORT|NAME|COMMAND" ...: steps side by side; waits for all, then counts and judges them.
group() {
  local specs=("$@") names=() shorts=() t0=$SECONDS i
  pids=()
  for i in "${!specs[@]}"; do
    local short=${specs[$i]%%|*} rest=${specs[$i]#*|}
    local name=${rest%%|*} cmd=${rest#*|}
    shorts+=("$short"); names+=("$name")
    printf '\n=== %s [%s] started ===\n' "$name" "$short"
    ( set +e
      bash -c "$cmd" </dev/null 2>&1 | tee "$logdir/$short.log" | sed -u "s/^/[$short] /"
      echo "${PIPESTATUS[0]}" >"$logdir/$short.rc"
      echo "$SECONDS" >"$logdir/$short.end" ) &
    pids+=($!)
  done
  wait "${pids[@]}" || true
  pids=()
  local bad=
  for i in "${!shorts[@]}"; do
    local short=${shorts[$i]} rc
    rc=$(cat "$logdir/$short.rc" 2>/dev/null || echo 1)
    count "$logdir/$short.log"
    printf '=== %s: %s in %d s ===\n' "${names[$i]}" "$([ "$rc" -eq 0 ] && echo ok || echo FAILED)" "$(( $(cat "$logdir/$short.end" 2>/dev/null || echo $SECONDS) - t0 ))"
    if [ "$rc" -ne 0 ] && [ -z "$bad" ]; then bad="${names[$i]}|$rc"; fi
  done
  [ -z "$bad" ] || stop_failed "${bad%%|*}" "${bad##*|}"
}

group \
  "lint|lint|npx eslint ." \
  "types|type-check (everything; the console as the browser runs it; the server as node runs it)|npm run --silent typecheck" \
  "unit|unit and component tests|npx vitest run" \
  "build|console build and size budget|npx vite build --logLevel warn && node scripts/check-bundle.mjs"
group \
  "api-sqlite|API tests on SQLite|TEST_DB=sqlite npx vitest run --config vitest.api.config.ts" \
  "api-pg|API tests on PostgreSQL|TEST_DB=postgres npx vitest run --config vitest.api.config.ts"
# What npm ci && npm run build && npm prune --omit=dev leaves must run the product on its own. After the
# API suites: it compiles build/, which the SQLite pass's shutdown test compiles and runs too.
step "production install (compiled server, production dependencies only)" bash scripts/check-production.sh
step "browser journeys (Chromium)" npx playwright test
# Fuzz, crash durability, races, sqlmap, soak and a secrets scan on both databases (about 15 minutes).
step "reliability and security suite" bash scripts/test-security.sh

printf '\nnpm test: every step passed in %d s\n%d passed, %d failed\n' "$((SECONDS - started))" "$passed" "$failed"
