#!/usr/bin/env bash
# Smoke test of dataalm on Node 24, run by .ci/run after the test suite (which runs on the
# machine's Node, 20.19+). It brings a Node 24 runtime from the npm package node-<os>-<cpu>
# (it ships bin/node) into a cache folder outside the checkout, puts it first on PATH, and:
#   (a) `dataalm start` on a fresh temporary home answers /healthz,
#   (b) a refresh contoso-prod -> contoso-uat through the CLI succeeds while the service runs,
#       then the service is stopped with SIGTERM and must exit 0 with its PostgreSQL gone,
#   (c) the browser test (test/ui.test.ts) passes under Node 24.
# Nothing native needs rebuilding for Node 24: the embedded PostgreSQL binaries are not Node
# addons, and the .node files in node_modules (rolldown, lightningcss: the web UI build) use
# Node-API, which does not depend on the Node version. dist/ must be built (npm ci does it).
# Prints one line per step; a failing step prints the tail of its log. Exits non-zero on failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

NODE24_VERSION=24.22.3
started=$SECONDS
say() { printf 'node 24 smoke: %s\n' "$*"; }
fail() {
  say "FAILED: $*"
  exit 1
}

# The service refuses unknown DATAALM_* variables, and a DATAALM_DATABASE_URL (or the test
# suite's own variables) from the caller must not steer this run elsewhere.
while read -r name; do unset "$name"; done < <(compgen -e | grep '^DATAALM_' || true)

[ -f dist/interfaces/cli/main.js ] || fail "dist/ is missing: run npm ci (or npm run build) first"

# --- Node 24 -------------------------------------------------------------------------------
platform=$(node -p 'process.platform')
arch=$(node -p 'process.arch')
package="node-${platform}-${arch}"
cache="${NODE24_CACHE_DIR:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/dataalm/node-v${NODE24_VERSION}}"
bindir="$cache/node_modules/$package/bin"
if ! "$bindir/node" --version >/dev/null 2>&1; then
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-save --no-package-lock --no-audit --no-fund --loglevel=error \
    "$package@$NODE24_VERSION" >"$cache/install.log" 2>&1 || {
    tail -n 20 "$cache/install.log"
    fail "could not install $package@$NODE24_VERSION into $cache"
  }
fi
export PATH="$bindir:$PATH"
version=$(node --version)
[[ $version == v24.* ]] || fail "node on PATH is $version, not 24"
say "using node $version ($package@$NODE24_VERSION, kept in $cache)"

# --- a fresh home, cleaned up whatever happens ----------------------------------------------
# The embedded PostgreSQL runs as the OS user postgres: the folders must be traversable.
parent=$(mktemp -d "${TMPDIR:-/tmp}/dataalm-smoke-node24-XXXXXX")
chmod 755 "$parent"
home="$parent/home"
service_pid=
cleanup() {
  local status=$?
  if [ -n "$service_pid" ] && kill -0 "$service_pid" 2>/dev/null; then
    kill -TERM "$service_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$service_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$service_pid" 2>/dev/null || true
    wait "$service_pid" 2>/dev/null || true
  fi
  rm -rf "$parent"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

show_log() {
  say "last lines of $(basename "$1"):"
  tail -n 30 "$1" | sed 's/^/  | /'
}

port=$(node -e "const s=require('node:net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
export DATAALM_HOME="$home" DATAALM_PORT="$port" DATAALM_ADMIN_PASSWORD="smoke-owner-password-1"

# --- (a) start ------------------------------------------------------------------------------
step=$SECONDS
node bin/dataalm.js start >"$parent/service.log" 2>&1 &
service_pid=$!
health=
for _ in $(seq 1 900); do
  kill -0 "$service_pid" 2>/dev/null || { show_log "$parent/service.log"; fail "(a) dataalm start exited early"; }
  if health=$(node -e "
    fetch('http://127.0.0.1:$port/healthz').then(async (r) => {
      const b = await r.text(); if (!r.ok) process.exit(1); console.log(b);
    }).catch(() => process.exit(1))" 2>/dev/null); then
    break
  fi
  health=
  sleep 0.2
done
[ -n "$health" ] || { show_log "$parent/service.log"; fail "(a) /healthz did not answer within 180 s"; }
[[ $health == *'"status":"ok"'* ]] || { show_log "$parent/service.log"; fail "(a) /healthz answered $health"; }
say "(a) dataalm start answered /healthz on 127.0.0.1:$port in $((SECONDS - step)) s: $health"

# --- (b) a refresh through the CLI ----------------------------------------------------------
step=$SECONDS
if ! node bin/dataalm.js refresh --source contoso-prod --target contoso-uat --yes --json \
  >"$parent/refresh.json" 2>"$parent/refresh.log"; then
  show_log "$parent/refresh.log"
  show_log "$parent/refresh.json"
  fail "(b) dataalm refresh exited non-zero"
fi
summary=$(node -e "
  const op = JSON.parse(require('node:fs').readFileSync(process.argv[1], 'utf8'));
  if (op.state !== 'succeeded') { console.log('state ' + op.state); process.exit(1); }
  console.log('operation ' + op.id + ' ' + op.state);" "$parent/refresh.json") ||
  { show_log "$parent/refresh.json"; fail "(b) refresh did not succeed: $summary"; }
say "(b) refresh contoso-prod -> contoso-uat: $summary in $((SECONDS - step)) s"

# --- stop the service cleanly ---------------------------------------------------------------
kill -TERM "$service_pid"
code=0
for _ in $(seq 1 150); do kill -0 "$service_pid" 2>/dev/null || break; sleep 0.2; done
kill -0 "$service_pid" 2>/dev/null && { show_log "$parent/service.log"; fail "the service did not stop within 30 s of SIGTERM"; }
wait "$service_pid" || code=$?
service_pid=
[ "$code" -eq 0 ] || { show_log "$parent/service.log"; fail "the service exited $code on SIGTERM"; }
if command -v pgrep >/dev/null && pgrep -f -- "$home" >/dev/null; then fail "processes of the temporary home are still running after the stop"; fi
say "service stopped on SIGTERM (exit 0, embedded PostgreSQL gone)"

# --- (c) the browser test -------------------------------------------------------------------
# CI=true: a missing Chromium fails the browser test instead of skipping it.
step=$SECONDS
if ! (unset DATAALM_HOME DATAALM_PORT DATAALM_ADMIN_PASSWORD; CI=true node scripts/run-tests.mjs ui.test) >"$parent/ui.log" 2>&1; then
  show_log "$parent/ui.log"
  fail "(c) the browser test failed under node $version"
fi
# The closing counts: "# tests 15" (TAP) or "ℹ tests 15" (spec, node 24's default when piped).
count() { sed -n "s/^\(# \|ℹ \)$1 \([0-9]*\)$/\2/p" "$parent/ui.log" | tail -n 1; }
tests=$(count tests)
[ -n "$tests" ] && [ "$tests" -gt 0 ] && [ "$(count fail)" = 0 ] && [ "$(count skipped)" = 0 ] ||
  { show_log "$parent/ui.log"; fail "(c) the browser test ran no test, or skipped some"; }
say "(c) browser test (test/ui.test.ts): all $tests tests ok under node $version in $((SECONDS - step)) s"

say "done in $((SECONDS - started)) s"
say "passed"
