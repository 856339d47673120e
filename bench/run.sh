#!/usr/bin/env bash
# `yarn bench`: the browser benchmark P8 (bench/environments-ui.bench.ts, against the app
# served on the benchmark cluster on port 7207), then the backend benchmarks P1 to P7
# (bench/backend/run.ts), on a cluster of their own, "bench", with room for P4 (10,000 pods
# and Services). Prints one table; writes it to .local/bench/results.md. Benchmarks print
# figures and ratios; they are not tests.
#
#   ARCHIPELAGO_BENCH_ONLY=P1,P2   ARCHIPELAGO_BENCH_ROUNDS=3
#   ARCHIPELAGO_BENCH_BURST=100    ARCHIPELAGO_BENCH_SCALE=1000
#   ARCHIPELAGO_BENCH_KEEP_CLUSTER=1   leave the bench cluster running afterwards
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../scripts/bootstrap.sh
source "$here/../scripts/bootstrap.sh" || { echo "bootstrap failed"; exit 1; }
set -e
cd "$ARCHIPELAGO_ROOT"

# Refuse what cannot run before anything is made, or the last run's results are replaced.
only="${ARCHIPELAGO_BENCH_ONLY:-}"
only="${only// /}"
for id in ${only//,/ }; do
  case "${id^^}" in
    P[1-8]) ;;
    *) echo "bench: ARCHIPELAGO_BENCH_ONLY: no row \"$id\" (the rows are P1 to P8, e.g. P1,P2)" >&2; exit 2 ;;
  esac
done
for var in ARCHIPELAGO_BENCH_ROUNDS ARCHIPELAGO_BENCH_BURST ARCHIPELAGO_BENCH_SCALE ARCHIPELAGO_BENCH_NODES; do
  value="${!var:-}"
  if [ -n "$value" ] && ! [[ "$value" =~ ^[1-9][0-9]*$ ]]; then
    echo "bench: $var must be a whole number of at least 1, not \"$value\"" >&2; exit 2
  fi
done
mkdir -p .local/bench

# The benchmark cluster: 40 kwok nodes of 400 pods, 64 CPU and 256Gi each, a /16 of Service
# IPs (65,534), on its own loopback ports beside "dev" and "test".
export ARCHIPELAGO_CLUSTER_PORT_BASE="${ARCHIPELAGO_CLUSTER_PORT_BASE:-34000}"
export ARCHIPELAGO_CLUSTER_NODES="${ARCHIPELAGO_BENCH_NODES:-40}"
export ARCHIPELAGO_CLUSTER_NODE_PODS=400 ARCHIPELAGO_CLUSTER_NODE_CPU=64 ARCHIPELAGO_CLUSTER_NODE_MEMORY=256Gi
# Always a fresh one: a run stopped before its clean-up (or P4's 10,000 pods) would otherwise
# be measured again as the next run's load.
echo "[bench] starting a fresh bench cluster (log: .local/bench/cluster.log)"
scripts/cluster/cluster.sh reset --name bench > .local/bench/cluster.log 2>&1 || true
scripts/cluster/cluster.sh up --name bench >> .local/bench/cluster.log 2>&1 || {
  tail -20 .local/bench/cluster.log; exit 1; }
tail -1 .local/bench/cluster.log
stop_cluster() {
  if [ -z "${ARCHIPELAGO_BENCH_KEEP_CLUSTER:-}" ]; then
    echo "[bench] removing the bench cluster"
    scripts/cluster/cluster.sh reset --name bench >/dev/null 2>&1 || true
  fi
}
app_pid=""
stop_all() {
  if [ -n "$app_pid" ]; then kill -- -"$app_pid" 2>/dev/null || true; fi
  stop_cluster
}
trap stop_all EXIT

BIN="$(scripts/cluster/build.sh)"
export ARCHIPELAGO_TEST_APP_CONFIG="$ARCHIPELAGO_ROOT/.local/app-config.cluster-bench.yaml"
export ARCHIPELAGO_BENCH_KUBECTL="$BIN/kubectl"
export ARCHIPELAGO_BENCH_KUBECONFIG="$ARCHIPELAGO_ROOT/.local/kubeconfig-bench.yaml"
export ARCHIPELAGO_BENCH_CLUSTER=bench
export LOG_LEVEL="${LOG_LEVEL:-warn}"

wants() { [ -z "$only" ] || [[ ",${only^^}," == *",$1,"* ]]; }
rm -f .local/bench/p8.json
# P8 drives Debian's Chromium (or CHROMIUM_PATH): installed here as scripts/test.sh does, when
# this runs as root; otherwise P8 is skipped with the reason, and its row says so.
chromium_ready() {
  local chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
  [ -x "$chromium" ] && return 0
  if [ -z "${CHROMIUM_PATH:-}" ] && [ "$(id -u)" = 0 ]; then
    echo "[bench] P8: installing chromium from Debian's packages"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq chromium fonts-noto-cjk >/dev/null && [ -x /usr/bin/chromium ] && return 0
  fi
  p8_skipped "no browser at $chromium (apt-get install chromium, or set CHROMIUM_PATH)"
  return 1
}
p8_skipped() {
  echo "[bench] P8 skipped: $1"
  node -e 'require("fs").writeFileSync(process.argv[1], JSON.stringify({id: "P8", what: "skipped",
    figures: [process.argv[2]], target: "< 1 s", met: false}))' .local/bench/p8.json "$1"
}
app_port=7207
if wants P8 && chromium_ready; then
  # The app as a browser sees it: the built frontend, served by the backend, on this cluster.
  if curl -s -o /dev/null "http://localhost:$app_port/" 2>/dev/null; then
    echo "[bench] P8 needs port $app_port, and something already answers there"; exit 1
  fi
  echo "[bench] P8: building the frontend (log: .local/bench/app-build.log)"
  yarn workspace app build > .local/bench/app-build.log 2>&1 || { tail -40 .local/bench/app-build.log; exit 1; }
  sed 's/7107/7207/g' app-config.e2e.yaml > .local/app-config.bench-app.yaml
  echo "[bench] P8: starting the app on http://localhost:7207 (log: .local/bench/app.log)"
  set -m
  (cd packages/backend && LOG_LEVEL=warn exec yarn start --config ../../app-config.yaml \
    --config ../../.local/app-config.bench-app.yaml --config "$ARCHIPELAGO_TEST_APP_CONFIG") \
    > .local/bench/app.log 2>&1 &
  app_pid=$!
  set +m
  app_ready=""
  for _ in $(seq 1 180); do
    curl -sf "http://localhost:$app_port/.backstage/health/v1/readiness" >/dev/null 2>&1 && { app_ready=1; break; }
    kill -0 "$app_pid" 2>/dev/null || { tail -40 .local/bench/app.log; exit 1; }
    sleep 1
  done
  if [ -n "$app_ready" ]; then
    ARCHIPELAGO_BENCH_APP="http://localhost:$app_port" ARCHIPELAGO_BENCH_BACKEND="http://localhost:$app_port" \
      yarn playwright test --config bench/playwright.config.ts || echo "[bench] P8 failed (see above)"
  else
    tail -20 .local/bench/app.log
    p8_skipped "the app on port $app_port was not ready after 180 s (.local/bench/app.log)"
  fi
  kill -- -"$app_pid" 2>/dev/null || true
  wait "$app_pid" 2>/dev/null || true
  app_pid=""
fi

node --expose-gc --max-old-space-size=4096 \
  --require @backstage/cli/config/nodeTransform.cjs bench/backend/run.ts
