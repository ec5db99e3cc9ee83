#!/usr/bin/env bash
# The reliability and security suite: fuzz, crash durability, races, sqlmap, soak, forwarded headers,
# administrative changes, webhook targets, brakes and the secrets scan, on SQLite and then on
# PostgreSQL. Ends with one line "N passed, N failed".
# Knobs: SECURITY_DBS ("sqlite postgres"), FUZZ_RUNS, FUZZ_SEED, CRASH_KILLS, SQLMAP_SECONDS,
# SOAK_SECONDS, SOAK_PG_SECONDS; extra arguments go to vitest (e.g. a file filter: 01-fuzz).
set -uo pipefail
cd "$(dirname "$0")/.."

export SECURITY_RUN_DIR=${SECURITY_RUN_DIR:-$PWD/.tmp/security-run}
rm -rf "$SECURITY_RUN_DIR"
mkdir -p "$SECURITY_RUN_DIR"
export NO_COLOR=1 FORCE_COLOR=0

if ! command -v sqlmap >/dev/null 2>&1; then
  echo "sqlmap missing: installing Debian's package"
  DEBIAN_FRONTEND=noninteractive apt-get install -y sqlmap </dev/null >/dev/null 2>&1 \
    || { apt-get update </dev/null >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y sqlmap </dev/null >/dev/null 2>&1; } \
    || echo "could not install sqlmap; its part will fail"
fi

passed=0
failed=0
started=$SECONDS
for db in ${SECURITY_DBS:-sqlite postgres}; do
  printf '\n=== security suite on %s ===\n' "$db"
  log="$SECURITY_RUN_DIR/vitest-$db.log"
  t0=$SECONDS
  TEST_DB=$db npx vitest run --config vitest.security.config.ts "$@" </dev/null 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  # Vitest's summary: "Tests  2 failed | 5 passed (7)".
  line=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ *Tests +[0-9]' | tail -1)
  p=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+' || true)
  f=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+' || true)
  p=${p:-0}
  f=${f:-0}
  # A run that failed without a failing test (setup error, crash) still counts as one failure.
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  passed=$((passed + p))
  failed=$((failed + f))
  printf '%s: %d passed, %d failed in %d s\n' "$db" "$p" "$f" "$((SECONDS - t0))"
done

printf '\n=== figures ===\n'
for db in ${SECURITY_DBS:-sqlite postgres}; do cat "$SECURITY_RUN_DIR/$db/figures.txt" 2>/dev/null || true; done
printf 'browser storage: covered by the Playwright journeys (e2e/), not by this suite\n'
printf 'total wall time: %d s; artefacts in %s\n' "$((SECONDS - started))" "$SECURITY_RUN_DIR"
printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
