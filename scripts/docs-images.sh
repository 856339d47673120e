#!/usr/bin/env bash
# Copies the browser tests' screenshots that the docs show into docs/images/ (run after
# scripts/test.sh, or after the browser tests alone). The docs name them portal-<view>.png.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
from="$root/.local/test-results/e2e/screenshots"
to="$root/docs/images"
declare -A wanted=(
  [environments-list]=portal-list
  [environment-topology]=portal-topology
  [environment-pods]=portal-pods
  [environment-logs]=portal-logs
  [environment-history]=portal-history
  [environment-registry]=portal-registry
  [environment-deploy]=portal-deploy
  [environment-degraded]=portal-degraded
  [environment-denied]=portal-denied
  [entity-component-environments]=portal-component-tab
  [environment-topology-zh]=portal-topology-zh
  [catalog]=catalog
  [islands]=islands
  [islands-clock]=islands-clock
  [islands-down]=islands-down
  [releases-gray]=releases-gray
  [releases-promoted]=releases-promoted
  [agents-environment]=agents-environment
  [environment-config]=config-inherited
  [terminal]=terminal
  [terminal-denied]=terminal-denied
  [environment-alerts]=alerts
  [environment-asleep]=sleep
)
missing=0
for shot in "${!wanted[@]}"; do
  if [ -f "$from/$shot.png" ]; then
    cp "$from/$shot.png" "$to/${wanted[$shot]}.png"
  else
    echo "no screenshot $from/$shot.png (run the browser tests first)" >&2
    missing=1
  fi
done
exit "$missing"
