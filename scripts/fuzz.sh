#!/usr/bin/env bash
# Fuzzes the environments REST API from its OpenAPI description with Schemathesis (PyPI):
#   scripts/fuzz.sh [base URL] [cases per operation]
# Defaults: http://localhost:7107 (the app test.sh starts) and 700 cases per operation, which
# is more than 10,000 cases over the API's 15 operations. It signs in as the guest and checks:
#   - no answer is a 5xx (not_a_server_error);
#   - every refusal of bad input names a field (scripts/fuzz/checks.py);
#   - nothing changed in the cluster: no new namespace, environment or operation.
# Schemathesis is installed into ~/.cache/archipelago/schemathesis-venv on first use.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
base="${1:-http://localhost:7107}"
per_operation="${2:-700}"
version=4.32.5
venv="$HOME/.cache/archipelago/schemathesis-venv"
out="$root/.local/test-results/fuzz"
mkdir -p "$out"

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  echo "[fuzz] installing schemathesis $version from PyPI into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==$version"
fi

token="$(curl -sf -H 'x-requested-with: XMLHttpRequest' "$base/api/auth/guest/refresh" \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).backstageIdentity.token))')"
api="$base/api/environments"
kubeconfig="${ARCHIPELAGO_TEST_KUBECONFIG:-$root/.local/kubeconfig-test.yaml}"
kubectl="$(ls "$HOME"/.cache/archipelago/cluster/*/bin/kubectl | head -1)"

namespaces() {
  "$kubectl" --kubeconfig "$kubeconfig" get namespaces -o name | sort
}
# Every environment (destroyed too) with its operations' ids: what the fuzz must not add to.
records() {
  curl -sf -H "Authorization: Bearer $token" "$api/environments?includeDestroyed=true" \
    | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const e of JSON.parse(s).items)console.log(e.name, e.createdAt)})' \
    | sort
}
namespaces > "$out/namespaces.before"
records > "$out/environments.before"
started="$(date -u +%Y-%m-%dT%H:%M:%SZ)"

echo "[fuzz] $per_operation cases per operation against $api (report: .local/test-results/fuzz)"
set +e
# Schemathesis keeps a cache in the directory it runs from: keep it out of the repository.
cd "$out"
SCHEMATHESIS_HOOKS=checks PYTHONPATH="$here/fuzz" "$venv/bin/schemathesis" run \
  "$root/plugins/environments-backend/src/schema/openapi.yaml" \
  --url "$api" \
  -H "Authorization: Bearer $token" \
  --checks not_a_server_error,refusals_name_a_field \
  --max-examples "$per_operation" \
  --phases examples,fuzzing,stateful \
  --workers 2 \
  --seed 20261201 \
  --no-color \
  --report junit --report-dir "$out" > "$out/schemathesis.log" 2>&1
rc=$?
set -e
tail -25 "$out/schemathesis.log"

cases="$(grep -Eo '[0-9]+ generated' "$out/schemathesis.log" | tail -1 | grep -Eo '[0-9]+' || echo 0)"
namespaces > "$out/namespaces.after"
records > "$out/environments.after"
new_namespaces="$(comm -13 "$out/namespaces.before" "$out/namespaces.after")"
new_environments="$(comm -13 "$out/environments.before" "$out/environments.after")"

fail=0
if [ "$rc" -ne 0 ]; then echo "[fuzz] schemathesis found failures (exit $rc)"; fail=1; fi
if [ "$cases" -lt 10000 ]; then echo "[fuzz] only $cases cases ran; at least 10000 are wanted"; fail=1; fi
if [ -n "$new_namespaces" ]; then echo "[fuzz] the fuzz made namespaces: $new_namespaces"; fail=1; fi
if [ -n "$new_environments" ]; then echo "[fuzz] the fuzz made environments since $started: $new_environments"; fail=1; fi
echo "[fuzz] $cases cases; new namespaces: ${new_namespaces:-none}; new environments: ${new_environments:-none}"
exit "$fail"
