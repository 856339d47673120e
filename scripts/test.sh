#!/usr/bin/env bash
# README command 2: run every test on this machine.
#   - bootstraps the toolchain and dependencies (scripts/bootstrap.sh)
#   - starts what the tests need: the local "test" cluster and PostgreSQL on a loopback port
#   - runs lint, prettier, type check, unit and integration tests (Jest), the browser
#     end-to-end tests (Playwright driving Debian's Chromium against the running app), and a
#     Schemathesis fuzz of the REST API against that app (scripts/fuzz.sh)
#   - stops what it started, even when a test fails
#   - exits non-zero on any failure and ends with a line "N passed, N failed"
# Reports land in .local/test-results/ (git-ignored); screenshots in .local/test-results/e2e/.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bootstrap.sh
source "$here/bootstrap.sh" || { echo "bootstrap failed"; echo "0 passed, 1 failed"; exit 1; }
set +e
cd "$ARCHIPELAGO_ROOT"
out="$ARCHIPELAGO_ROOT/.local/test-results"
rm -rf "$out"; mkdir -p "$out"
export CI="${CI:-}"
T0=$SECONDS

passed=0; failed=0; summary=()
record() { # record <name> <passed> <failed> <seconds>
  passed=$((passed + $2)); failed=$((failed + $3))
  summary+=("$(printf '%-28s %5s passed %5s failed %5ss' "$1" "$2" "$3" "$4")")
}
check() { # check <name> <command...>: a whole command counts as one check
  local name="$1" t=$SECONDS; shift
  echo; echo "=== $name: $*"
  if "$@"; then record "$name" 1 0 $((SECONDS - t)); else record "$name" 0 1 $((SECONDS - t)); fi
}

# --- services -----------------------------------------------------------------------------
started_cluster=""; started_cluster2=""; started_pg=""; backend_pid=""
cleanup() {
  if [ -n "$backend_pid" ]; then kill -TERM -- "-$backend_pid" 2>/dev/null || kill "$backend_pid" 2>/dev/null; wait "$backend_pid" 2>/dev/null; fi
  if [ -n "$started_pg" ]; then scripts/postgres.sh stop; fi
  if [ -z "${mariadb_was_running:-}" ]; then scripts/mariadb.sh stop; fi
  if [ -n "$started_cluster" ]; then scripts/cluster/cluster.sh reset --name test >/dev/null 2>&1; fi
  if [ -n "$started_cluster2" ]; then scripts/cluster/cluster.sh reset --name test2 >/dev/null 2>&1; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Built once and cached; a first build prints its steps and a line a minute.
scripts/cluster/build.sh >/dev/null || { echo "the local cluster could not be built"; echo "0 passed, 1 failed"; exit 1; }
if ! scripts/cluster/cluster.sh status --name test >/dev/null 2>&1; then
  started_cluster=1
  scripts/cluster/cluster.sh reset --name test >/dev/null 2>&1
fi
# A second, small cluster for the tests of several clusters at once (placement, one cluster
# unreachable): one node of 4 CPUs and 8Gi.
if ! scripts/cluster/cluster.sh status --name test2 >/dev/null 2>&1; then
  started_cluster2=1
  scripts/cluster/cluster.sh reset --name test2 >/dev/null 2>&1
fi
echo "=== starting the test clusters test and test2 (log: .local/test-results/cluster.log)"
{ scripts/cluster/cluster.sh up --name test &&
  ARCHIPELAGO_CLUSTER_NODES=1 ARCHIPELAGO_CLUSTER_NODE_CPU=4 ARCHIPELAGO_CLUSTER_NODE_MEMORY=8Gi \
    scripts/cluster/cluster.sh up --name test2; } > "$out/cluster.log" 2>&1 &
cluster_job=$!

# Reuse a PostgreSQL that already answers on the test port; otherwise start (and later stop) one.
pg_url="$(scripts/postgres.sh url)"
if command -v psql >/dev/null && psql "$pg_url" -c 'select 1' >/dev/null 2>&1; then
  echo "=== reusing PostgreSQL at $pg_url"
else
  started_pg=1
  pg_url="$(scripts/postgres.sh start)" || { echo "PostgreSQL did not start"; pg_url=""; }
fi
export BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING="$pg_url"
export ARCHIPELAGO_REQUIRE_POSTGRES=1

# Real parts of seed 002 from Debian's packages: libfaketime for the fake-time test, MariaDB
# for the SQL registrar's.
if ! dpkg -s libfaketime faketime >/dev/null 2>&1; then
  echo "=== installing libfaketime and faketime from Debian's packages"
  { [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libfaketime faketime >/dev/null; } ||
    echo "could not install libfaketime (the fake-time test will say so)"
fi
mariadb_was_running=""
scripts/mariadb.sh url >/dev/null
if [ -f .local/mariadb/mysqld.pid ] && kill -0 "$(cat .local/mariadb/mysqld.pid)" 2>/dev/null; then mariadb_was_running=1; fi
echo "=== starting MariaDB (scripts/mariadb.sh)"
if mariadb_url="$(scripts/mariadb.sh start)"; then
  export ARCHIPELAGO_TEST_MARIADB_URL="$mariadb_url"
else
  echo "MariaDB did not start (the SQL registrar's test will say so)"
fi

# --- static checks (while the cluster starts) ------------------------------------------------
check "lint" yarn backstage-cli repo lint --max-warnings 0
check "prettier" yarn prettier --check --loglevel warn .
check "typescript" yarn tsc --incremental false --noEmit
check "openapi lint" yarn backstage-repo-tools repo schema openapi lint

# --- unit and integration tests ---------------------------------------------------------------
t=$SECONDS
wait "$cluster_job"; cluster_rc=$?
cat "$out/cluster.log"
record "test clusters up" $((cluster_rc == 0 ? 1 : 0)) $((cluster_rc == 0 ? 0 : 1)) $((SECONDS - t))
export ARCHIPELAGO_TEST_KUBECONFIG="$ARCHIPELAGO_ROOT/.local/kubeconfig-test.yaml"
export ARCHIPELAGO_TEST_APP_CONFIG="$ARCHIPELAGO_ROOT/.local/app-config.cluster-test.yaml"
export ARCHIPELAGO_TEST2_APP_CONFIG="$ARCHIPELAGO_ROOT/.local/app-config.cluster-test2.yaml"

echo; echo "=== jest: unit and integration tests"
t=$SECONDS
# A fresh Jest cache each run: this machine's clock has been seen to stall, and Jest's
# mtime-based change detection then serves stale transforms of edited files.
rm -rf "$ARCHIPELAGO_ROOT/.local/jest-cache"
CI=true yarn backstage-cli repo test --cacheDirectory "$ARCHIPELAGO_ROOT/.local/jest-cache" --json --outputFile="$out/jest.json"
jest_rc=$?
if [ -f "$out/jest.json" ]; then
  read -r jp jf < <(node -e 'const r=require(process.argv[1]);console.log(r.numPassedTests, r.numFailedTests + r.numRuntimeErrorTestSuites)' "$out/jest.json")
  # A suite that failed to run at all still fails the stage.
  if [ "$jest_rc" -ne 0 ] && [ "$jf" -eq 0 ]; then jf=1; fi
  record "jest" "$jp" "$jf" $((SECONDS - t))
else
  record "jest (no report)" 0 1 $((SECONDS - t))
fi

# --- browser end-to-end ---------------------------------------------------------------------
e2e() {
  # Debian's Chromium, and CJK fonts so the Simplified Chinese pages render (and their
  # screenshots show characters, not boxes).
  local pkgs=()
  [ -x /usr/bin/chromium ] || pkgs+=(chromium)
  dpkg -s fonts-noto-cjk >/dev/null 2>&1 || pkgs+=(fonts-noto-cjk)
  if [ ${#pkgs[@]} -gt 0 ]; then
    echo "installing ${pkgs[*]} from Debian's packages for the browser tests"
    { [ "$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null; } || return 1
  fi
  echo; echo "=== building the frontend for the end-to-end run"
  yarn workspace app build > "$out/app-build.log" 2>&1 || { tail -40 "$out/app-build.log"; return 1; }
  echo "=== starting the backend on http://localhost:7107 (log: .local/test-results/backend.log)"
  set -m
  (cd packages/backend && exec yarn start --config ../../app-config.yaml --config ../../app-config.e2e.yaml \
    --config "$ARCHIPELAGO_TEST_APP_CONFIG") > "$out/backend.log" 2>&1 &
  backend_pid=$!
  set +m
  local i
  for i in $(seq 1 180); do
    curl -sf http://localhost:7107/.backstage/health/v1/readiness >/dev/null 2>&1 && break
    kill -0 "$backend_pid" 2>/dev/null || { tail -40 "$out/backend.log"; return 1; }
    sleep 1
  done
  ARCHIPELAGO_E2E_URL=http://localhost:7107 ARCHIPELAGO_E2E_CLUSTER=test yarn playwright test
}
t=$SECONDS
e2e; e2e_rc=$?
if [ -f "$out/playwright.json" ]; then
  read -r ep ef < <(node -e 'const s=require(process.argv[1]).stats;console.log(s.expected + s.flaky, s.unexpected)' "$out/playwright.json")
  if [ "$e2e_rc" -ne 0 ] && [ "$ef" -eq 0 ]; then ef=1; fi
  record "playwright" "$ep" "$ef" $((SECONDS - t))
else
  record "playwright (did not run)" 0 1 $((SECONDS - t))
fi

# --- API fuzz -------------------------------------------------------------------------------
# Schemathesis against the app the browser tests used (still running): more than 10,000 cases,
# no 5xx, every refusal names a field, nothing changes in the cluster (scripts/fuzz.sh).
if [ -n "$backend_pid" ] && kill -0 "$backend_pid" 2>/dev/null; then
  check "schemathesis fuzz" scripts/fuzz.sh http://localhost:7107 700
else
  record "schemathesis fuzz (no app)" 0 1 0
fi

# --- summary ----------------------------------------------------------------------------------
echo
echo "=== summary ($((SECONDS - T0))s)"
printf '%s\n' "${summary[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
