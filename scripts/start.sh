#!/usr/bin/env bash
# README command 1: run Archipelago locally on the embedded defaults.
#   - bootstraps the toolchain and dependencies (scripts/bootstrap.sh)
#   - builds (once, cached) and starts the local "dev" cluster (scripts/cluster/cluster.sh)
#   - starts Backstage: frontend on http://localhost:3000, backend on http://localhost:7007,
#     SQLite in files under .local/sqlite (a restart keeps every environment and operation),
#     guest sign-in, configured for the local cluster
# Ctrl-C stops everything this command started. A cluster that was already running is left up.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=bootstrap.sh
source "$here/bootstrap.sh"
cd "$ARCHIPELAGO_ROOT"
cluster="${ARCHIPELAGO_CLUSTER:-dev}"

started_cluster=""
# Built once and cached; a first build prints its steps and a line a minute.
scripts/cluster/build.sh >/dev/null || { echo "the local cluster could not be built" >&2; exit 1; }
if ! scripts/cluster/cluster.sh status --name "$cluster" >/dev/null 2>&1; then
  started_cluster=1
fi
scripts/cluster/cluster.sh up --name "$cluster"

backstage_pid=""
cleanup() {
  trap - INT TERM EXIT
  if [ -n "$backstage_pid" ]; then
    kill -TERM -- "-$backstage_pid" 2>/dev/null || kill -TERM "$backstage_pid" 2>/dev/null || true
    wait "$backstage_pid" 2>/dev/null || true
  fi
  if [ -n "$started_cluster" ]; then scripts/cluster/cluster.sh down --name "$cluster" || true; fi
}
trap cleanup INT TERM EXIT

cat <<MSG

  Archipelago is starting (the first frontend build takes a minute or two):
    app:        http://localhost:3000
    backend:    http://localhost:7007
    cluster:    $(scripts/cluster/cluster.sh kubeconfig --name "$cluster")  (KUBECONFIG for kubectl)
  Press Ctrl-C to stop.

MSG
# The embedded database keeps its data: one SQLite file per plugin under .local/sqlite, so a
# restart forgets nothing while the cluster's namespaces keep running.
data_dir="$ARCHIPELAGO_ROOT/.local/sqlite"
mkdir -p "$data_dir"
printf 'backend:\n  database:\n    client: better-sqlite3\n    connection:\n      directory: %s\n' \
  "$data_dir" > "$ARCHIPELAGO_ROOT/.local/app-config.data.yaml"

set -m
yarn start --config "$ARCHIPELAGO_ROOT/app-config.yaml" \
  --config "$ARCHIPELAGO_ROOT/.local/app-config.data.yaml" \
  --config "$ARCHIPELAGO_ROOT/.local/app-config.cluster-$cluster.yaml" \
  ${ARCHIPELAGO_EXTRA_CONFIG:+--config "$ARCHIPELAGO_EXTRA_CONFIG"} &
backstage_pid=$!
set +m
wait "$backstage_pid"
