#!/usr/bin/env bash
# The production install path, checked without a network: what `npm ci && npm run build &&
# npm prune --omit=dev` leaves (the compiled server, the built console, package.json and the
# production dependencies only) is copied to an empty folder, and `node build/server/main.js` must
# serve the API and the console from there, sign a person in, and stop with exit 0 on SIGTERM.
# Run by npm test after the console build; prints "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

passed=0
failed=0
check() {
  local what=$1; shift
  if "$@"; then passed=$((passed + 1)); printf 'ok   %s\n' "$what"
  else failed=$((failed + 1)); printf 'FAIL %s\n' "$what"; fi
}

[ -f dist/index.html ] || npx vite build --logLevel warn
npx tsc -p tsconfig.server.json --noCheck

app="$work/app"
mkdir -p "$app/node_modules"
cp -r build dist package.json package-lock.json "$app/"
# The production dependency tree as npm prune --omit=dev keeps it: each package's folder, parents
# before the packages nested in them (sorted), so a nested path never stands in for its parent.
npm ls --omit=dev --all --parseable 2>/dev/null | tail -n +2 | sort | while read -r dir; do
  rel=${dir#"$PWD"/}
  mkdir -p "$app/$(dirname "$rel")"
  [ -e "$app/$rel" ] || cp -r "$dir" "$app/$rel"
done
# Nothing outside production dependencies may be reached from there.
check "no development dependency copied (vite, vitest, typescript)" test ! -e "$app/node_modules/vite" -a ! -e "$app/node_modules/vitest" -a ! -e "$app/node_modules/typescript"

port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
data="$work/data"
(cd "$app" && exec env -i PATH="$PATH" HOME="$work" NODE_ENV=production DATA_DIR="$data" PORT="$port" \
  ADMIN_EMAIL=admin@example.com ADMIN_PASSWORD=production-check-password \
  node --max-semi-space-size=4 --max-old-space-size=256 build/server/main.js >"$work/server.log" 2>&1) &
server_pid=$!
base="http://127.0.0.1:$port"
precompressed() {
  local entry
  entry=$(curl -fsS "$base/" | grep -o '/assets/index-[^"]*[.]js' | head -1)
  [ -n "$entry" ] && curl -fsS -H 'accept-encoding: br' -D - -o /dev/null "$base$entry" | grep -qi '^content-encoding: br'
}
for _ in $(seq 1 100); do
  curl -fsS "$base/api/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.2
done

check "GET /api/health answers ok" bash -c "curl -fsS '$base/api/health' | grep -q '\"status\":\"ok\"'"
check "the console's page is served at / and at a console route" bash -c "curl -fsS '$base/' | grep -q '<div id=\"root\">' && curl -fsS '$base/tokens' | grep -q '<div id=\"root\">'"
check "the console's entry script is served precompressed (brotli)" precompressed
check "GET /api/openapi.json answers the API document" bash -c "curl -fsS '$base/api/openapi.json' | grep -q '\"openapi\":\"3.1.0\"'"
check "the first administrator signs in" bash -c "curl -fsS -H 'content-type: application/json' -d '{\"email\":\"admin@example.com\",\"password\":\"production-check-password\"}' '$base/api/auth/login' | grep -q csrf_token"
check "an unknown API path answers 404" bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' '$base/api/nothing-here')\" = 404 ]"

kill -TERM "$server_pid"
set +e
wait "$server_pid"
rc=$?
set -e
server_pid=
check "SIGTERM stops the server with exit 0 (rc $rc)" test "$rc" -eq 0
if [ "$failed" -ne 0 ]; then echo "server log:"; tail -20 "$work/server.log"; fi
printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
