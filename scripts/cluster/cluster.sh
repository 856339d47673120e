#!/usr/bin/env bash
# The local Kubernetes cluster: a real kube-apiserver, controller-manager, scheduler and etcd,
# with kwok simulating nodes, pod status, logs and exec. Everything listens on 127.0.0.1.
#
#   scripts/cluster/cluster.sh up       [--name dev|test]   build (cached) and start; idempotent
#   scripts/cluster/cluster.sh down     [--name ...]        stop, keeping the cluster's data
#   scripts/cluster/cluster.sh reset    [--name ...]        delete the cluster and its data
#   scripts/cluster/cluster.sh status   [--name ...]        report components, nodes and URL
#   scripts/cluster/cluster.sh kubeconfig [--name ...]      print the kubeconfig path
#   scripts/cluster/cluster.sh fail-pod NAMESPACE/POD [crashloop|notready|exit] [--name ...]
#   scripts/cluster/cluster.sh heal-pod NAMESPACE/POD       [--name ...]
#
# Clusters are named; "dev" (the default), "test" and "test2" (the tests' second cluster) use
# different loopback ports so that they can run side by side. The kubeconfig is written to
# .local/kubeconfig-<name>.yaml.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

cmd="${1:-}"; [ $# -gt 0 ] && shift
name="${ARCHIPELAGO_CLUSTER:-dev}"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --name) name="$2"; shift 2;;
    --name=*) name="${1#--name=}"; shift;;
    *) args+=("$1"); shift;;
  esac
done

case "$name" in
  dev) base=32000;;
  test) base=33000;;
  # The tests' second cluster (several clusters at once, issue #14): small on purpose.
  test2) base=34000;;
  *) base="${ARCHIPELAGO_CLUSTER_PORT_BASE:?set ARCHIPELAGO_CLUSTER_PORT_BASE for a cluster named $name}";;
esac
nodes="${ARCHIPELAGO_CLUSTER_NODES:-4}"
# What each kwok node offers (the benchmarks' cluster asks for more: bench/README.md).
node_pods="${ARCHIPELAGO_CLUSTER_NODE_PODS:-110}"
node_cpu="${ARCHIPELAGO_CLUSTER_NODE_CPU:-16}"
node_memory="${ARCHIPELAGO_CLUSTER_NODE_MEMORY:-64Gi}"
# The Service IP range: kube-apiserver's default (10.0.0.0/24) holds 254 Services, which 100
# small environments fill. A /16 holds 65,534. Read at creation; a reset applies a new one.
service_cidr="${ARCHIPELAGO_CLUSTER_SERVICE_CIDR:-10.96.0.0/16}"
pv_count="${ARCHIPELAGO_CLUSTER_PVS:-48}"
cluster="archipelago-$name"
state="$root/.local/clusters/$name"
kubeconfig="$root/.local/kubeconfig-$name.yaml"
export KWOK_WORKDIR="$root/.local/kwok"
api_port=$((base + 443))

log() { echo "[cluster:$name] $*" >&2; }
die() { echo "cluster.sh: $*" >&2; exit 1; }

bin_dir() { "$here/build.sh"; }
kc() { "$BIN/kubectl" --kubeconfig "$kubeconfig" "$@"; }

exists() { [ -f "$KWOK_WORKDIR/clusters/$cluster/kwok.yaml" ]; }
api_up() { curl -sk --max-time 2 "https://127.0.0.1:$api_port/readyz" >/dev/null 2>&1; }

write_config() {
  local mod_stages
  mod_stages="$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage"
  mkdir -p "$state/logs" "$state/exec-root"
  chmod 755 "$state" "$state/exec-root"
  : > "$state/logs/containers.log"
  {
    cat <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokctlConfiguration
options:
  runtime: binary
  bindAddress: 127.0.0.1
  kubeApiserverPort: $api_port
  etcdPort: $((base + 379))
  etcdPeerPort: $((base + 380))
  kubeControllerManagerPort: $((base + 257))
  kubeSchedulerPort: $((base + 259))
  kwokControllerPort: $((base + 247))
  kubeApiserverBinary: $BIN/kube-apiserver
  kubeControllerManagerBinary: $BIN/kube-controller-manager
  kubeSchedulerBinary: $BIN/kube-scheduler
  kwokControllerBinary: $BIN/kwok
  etcdBinary: $BIN/etcd
  kubectlBinary: $BIN/kubectl
  kubeVersion: $KUBE_VERSION
  etcdVersion: ${ETCD_VERSION#v}
  disableQPSLimits: true
  nodeLeaseDurationSeconds: 40
  # metrics-server, built from its Go module, reads kwok's simulated usage: HPAs really scale.
  enableMetricsServer: true
  metricsServerBinary: $BIN/metrics-server
  metricsServerPort: $((base + 250))
  metricsServerManifests: [$here/manifests/metrics-server]
componentsPatches:
  - name: kube-apiserver
    extraArgs:
      - key: service-cluster-ip-range
        value: $service_cidr
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: archipelago-logs
spec:
  logs:
    - logsFile: $state/logs/containers.log
      follow: true
---
# A pod's simulated usage comes from its annotations (kwok.x-k8s.io/usage-cpu, -memory); a pod
# without them idles at 1m CPU and 1Mi memory. docs/releases.md raises it to make an HPA scale.
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterResourceUsage
metadata:
  name: usage-from-annotation
spec:
  usages:
    - usage:
        cpu:
          expression: |
            "kwok.x-k8s.io/usage-cpu" in pod.metadata.annotations
            ? Quantity(pod.metadata.annotations["kwok.x-k8s.io/usage-cpu"])
            : Quantity("1m")
        memory:
          expression: |
            "kwok.x-k8s.io/usage-memory" in pod.metadata.annotations
            ? Quantity(pod.metadata.annotations["kwok.x-k8s.io/usage-memory"])
            : Quantity("1Mi")
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata:
  name: archipelago-exec
spec:
  execs:
    - local:
        workDir: $state/exec-root
        envs:
          - name: ARCHIPELAGO_SIMULATED
            value: "kwok"
        securityContext:
          runAsUser: 65534
          runAsGroup: 65534
EOF
    # A Stage of our own stops kwokctl from adding its defaults, so the defaults that kwok
    # ships in its module (node init and heartbeat, pod ready/complete/delete) come first.
    for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
             pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
      [ -f "$mod_stages/$f" ] || die "kwok's default stage $f is missing from the Go module cache; run scripts/cluster/build.sh"
      echo "---"; cat "$mod_stages/$f"
    done
    echo "---"; cat "$here/manifests/failure-stages.yaml"
  } > "$state/kwokctl.yaml"
}

node_manifests() {
  local i zone branch
  for i in $(seq 0 $((nodes - 1))); do
    zone="zone-$(( i % 2 == 0 ? 0 : 1 ))"
    if [ $((i % 2)) -eq 0 ]; then branch=dev; else branch=weekly; fi
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: "0"
    # Every node shares kwok's address and port: metrics-server asks for each one's own path.
    metrics.k8s.io/resource-metrics-path: /metrics/nodes/kwok-node-$i/metrics/resource
  labels:
    kubernetes.io/arch: amd64
    kubernetes.io/os: linux
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
    node.kubernetes.io/instance-type: kwok.16x64
    topology.kubernetes.io/zone: $zone
    type: kwok
    branch: $branch
status:
  # Loopback, where kwok serves every node's logs and exec: the API server dials a node's
  # first address (a Hostname would not resolve), and islands show it as their host IP.
  addresses: [{type: InternalIP, address: 127.0.0.1}]
  allocatable: {cpu: "$node_cpu", memory: $node_memory, pods: "$node_pods", ephemeral-storage: 200Gi}
  capacity: {cpu: "$node_cpu", memory: $node_memory, pods: "$node_pods", ephemeral-storage: 200Gi}
  nodeInfo:
    architecture: amd64
    operatingSystem: linux
    kubeletVersion: $KUBE_VERSION
    containerRuntimeVersion: kwok-$KWOK_VERSION
EOF
  done
}

pv_manifests() {
  local i size
  for i in $(seq 0 $((pv_count - 1))); do
    if [ $((i % 4)) -eq 3 ]; then size=100Gi; else size=20Gi; fi
    cat <<EOF
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: local-pv-$(printf '%03d' "$i")
  labels: {archipelago.dev/pool: local}
spec:
  storageClassName: standard
  capacity: {storage: $size}
  accessModes: [ReadWriteOnce, ReadOnlyMany, ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: /var/lib/archipelago-local-pv/$i, type: DirectoryOrCreate}
EOF
  done
}

# A companion process for the running cluster: appends simulated container log lines (CRI
# format) for kwok to serve, and returns Released volumes to the pool, as a provisioner would.
sidecar() {
  # Every message takes exactly two numbers: printf repeats its format for extra arguments,
  # which would write a line without a timestamp, and kwok refuses to serve a log holding one.
  local n=0 msgs=("server tick ok players=%d rooms=%d" "handled request GET /healthz 200 bytes=%d %dms" "match queue size=%d waiting=%d" "registered with discovery instance=%d shard=%d" "cron heartbeat run=%d lag=%dms")
  while api_up || [ $n -lt 30 ]; do
    local m="${msgs[$((n % ${#msgs[@]}))]}"
    # shellcheck disable=SC2059
    printf "%s stdout F $m\n" "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" $((n % 97)) $((n % 13)) >> "$state/logs/containers.log"
    if [ $((n % 5)) -eq 0 ] && api_up; then
      kc get pv -l archipelago.dev/pool=local -o jsonpath='{range .items[?(@.status.phase=="Released")]}{.metadata.name}{"\n"}{end}' 2>/dev/null |
        while read -r pv; do [ -n "$pv" ] && kc patch pv "$pv" --type json -p '[{"op":"remove","path":"/spec/claimRef"}]' >/dev/null 2>&1 || true; done
    fi
    # Keep the simulated log bounded, but only trim it when it is large (64 MiB, about two weeks
    # of lines): kwok's followed streams stop for good when the file shrinks under them.
    if [ $((n % 600)) -eq 599 ] && [ "$(stat -c %s "$state/logs/containers.log" 2>/dev/null || echo 0)" -gt 67108864 ]; then
      tail -n 20000 "$state/logs/containers.log" > "$state/logs/.trim" && cat "$state/logs/.trim" > "$state/logs/containers.log"
    fi
    n=$((n + 1))
    sleep 1
  done
}

start_sidecar() {
  stop_sidecar
  # Drop any line that is not CRI format (older versions of the sidecar wrote some).
  if [ -f "$state/logs/containers.log" ]; then
    grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T\S+ (stdout|stderr) [FP] ' "$state/logs/containers.log" > "$state/logs/.clean" || true
    cat "$state/logs/.clean" > "$state/logs/containers.log"
  fi
  ( trap '' HUP; sidecar ) > "$state/sidecar.log" 2>&1 &
  echo $! > "$state/sidecar.pid"
}
stop_sidecar() {
  if [ -f "$state/sidecar.pid" ]; then kill "$(cat "$state/sidecar.pid")" 2>/dev/null || true; rm -f "$state/sidecar.pid"; fi
}

# A service account for Backstage (the kubernetes plugin and Archipelago), and an app-config
# fragment that points Backstage at this cluster with its token.
write_app_config() {
  local ca token out="$root/.local/app-config.cluster-$name.yaml"
  kc apply --server-side --field-manager archipelago-cluster -f - >/dev/null <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: archipelago-system}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: backstage, namespace: archipelago-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: archipelago-backstage}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: backstage, namespace: archipelago-system}]
EOF
  ca="$(kc config view --raw --minify --flatten -o jsonpath='{.clusters[0].cluster.certificate-authority-data}')"
  token="$(kc create token backstage -n archipelago-system --duration 720h)"
  (umask 077; cat > "$out" <<EOF
# Generated by scripts/cluster/cluster.sh for the local cluster "$name". Do not commit.
kubernetes:
  serviceLocatorMethod:
    type: multiTenant
  clusterLocatorMethods:
    - type: config
      clusters:
        - name: local
          title: Local kwok cluster ($name)
          url: https://127.0.0.1:$api_port
          authProvider: serviceAccount
          serviceAccountToken: $token
          caData: $ca
          skipMetricsLookup: true
          # Host ports for game-server islands (docs/islands.md); NodePorts are 30000-32767.
          islands:
            ports: 7000-7999
          # Releases route through the Gateway API (docs/releases.md): this cluster's Gateway.
          routing:
            type: gateway
            gateway: {name: archipelago, namespace: archipelago-system}
EOF
  )
}

up() {
  BIN="$(bin_dir)"
  local t0=$SECONDS restarted= started_at=
  mkdir -p "$state" "$(dirname "$kubeconfig")"
  if api_up && exists; then
    log "already running at https://127.0.0.1:$api_port"
  elif exists; then
    log "starting existing cluster"
    write_config
    started_at=$(date +%s)
    "$BIN/kwokctl" --name "$cluster" -c "$state/kwokctl.yaml" start cluster --wait 2m >&2
    restarted=1
    # kwokctl keeps the stages a cluster was created with: say so when ours have changed since.
    local stage
    for stage in $(grep -o 'name: archipelago-pod-[a-z]*' "$here/manifests/failure-stages.yaml" | cut -d' ' -f2); do
      grep -q "name: $stage" "$KWOK_WORKDIR/clusters/$cluster/kwok.yaml" 2>/dev/null ||
        log "WARNING: this cluster predates the failure switch $stage; run: scripts/cluster/cluster.sh reset --name $name"
    done
    grep -q 'name: metrics-server' "$KWOK_WORKDIR/clusters/$cluster/kwok.yaml" 2>/dev/null ||
      log "WARNING: this cluster predates metrics-server (HPAs cannot scale); run: scripts/cluster/cluster.sh reset --name $name"
    grep -q 'service-cluster-ip-range' "$KWOK_WORKDIR/clusters/$cluster/kwok.yaml" 2>/dev/null ||
      log "WARNING: this cluster predates its Service IP range (it holds 254 Services); run: scripts/cluster/cluster.sh reset --name $name"
  else
    log "creating cluster (kube $KUBE_VERSION, etcd $ETCD_VERSION, kwok $KWOK_VERSION)"
    write_config
    rm -f "$kubeconfig"
    "$BIN/kwokctl" --name "$cluster" -c "$state/kwokctl.yaml" create cluster \
      --kubeconfig "$kubeconfig" --wait 2m >&2
  fi
  "$BIN/kwokctl" --name "$cluster" get kubeconfig > "$kubeconfig.tmp" && mv "$kubeconfig.tmp" "$kubeconfig"
  chmod 600 "$kubeconfig"
  # Leases a controller that died without a down still holds would keep the new one idle for
  # their 200 s. Only those go (renewed before this start): the new controller's own are kept,
  # or it would run no pod until it took them again at its next sync, 50 s on.
  if [ -n "${restarted:-}" ]; then release_stale_leases "$started_at"; fi
  { node_manifests; echo "---"; cat "$here/manifests/storage.yaml"; pv_manifests; } | kc apply --server-side --field-manager archipelago-cluster -f - >/dev/null
  install_gateway_api
  # Nodes made before they had an address get it (a node's status is not applied with it).
  for i in $(seq 0 $((nodes - 1))); do
    kc patch node "kwok-node-$i" --subresource=status --type=merge \
      -p '{"status":{"addresses":[{"type":"InternalIP","address":"127.0.0.1"}]}}' >/dev/null
  done
  kc wait --for=condition=Ready node -l type=kwok --timeout=90s >/dev/null
  kc wait --for=jsonpath='{.metadata.name}' serviceaccount/default -n default --timeout=60s >/dev/null 2>&1 || true
  write_app_config
  start_sidecar
  log "ready in $((SECONDS - t0))s: https://127.0.0.1:$api_port (KUBECONFIG=$kubeconfig)"
}

# The Gateway API's standard-channel CRDs (from its Go module, see build.sh) and the Gateway
# that Archipelago's HTTPRoutes attach to.
install_gateway_api() {
  local crds
  crds="$(dirname "$BIN")/gateway-api-$GATEWAY_API_VERSION"
  [ -d "$crds" ] || die "the Gateway API CRDs are missing at $crds; run scripts/cluster/build.sh"
  kc apply --server-side --force-conflicts --field-manager archipelago-cluster -f "$crds" >/dev/null
  kc wait --for=condition=Established crd/httproutes.gateway.networking.k8s.io crd/gateways.gateway.networking.k8s.io --timeout=60s >/dev/null
  kc create namespace archipelago-system --dry-run=client -o yaml | kc apply --server-side --field-manager archipelago-cluster -f - >/dev/null
  kc apply --server-side --field-manager archipelago-cluster -f "$here/manifests/gateway.yaml" >/dev/null
}

release_leases() { kc delete lease -n kube-node-lease --all --wait=false >/dev/null 2>&1 || true; }
release_stale_leases() { # SINCE (epoch seconds): leases last renewed before it
  local name renewed
  kc get lease -n kube-node-lease -o jsonpath='{range .items[*]}{.metadata.name} {.spec.renewTime}{"\n"}{end}' 2>/dev/null |
    while read -r name renewed; do
      [ -n "$name" ] || continue
      if [ -z "$renewed" ] || [ "$(date -d "$renewed" +%s 2>/dev/null || echo 0)" -lt "$1" ]; then
        kc delete lease -n kube-node-lease "$name" --wait=false >/dev/null 2>&1 || true
      fi
    done
}

down() {
  BIN="$(bin_dir)"
  stop_sidecar
  # The kwok controller's node leases would outlive it by their 200 s duration, and the next
  # controller would run no pod until they expired: release them on the way down. The
  # controller goes first, or it takes the deleted leases again at once (as it did on a slow
  # CI machine, where the restarted cluster then ran no pod for 200 s).
  local pidfile="$KWOK_WORKDIR/clusters/$cluster/pids/kwok-controller.pid" pid i
  if [ -f "$pidfile" ] && pid="$(cat "$pidfile")" && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  if api_up; then release_leases; fi
  if exists; then "$BIN/kwokctl" --name "$cluster" stop cluster >&2 || true; fi
  log "stopped"
}

reset() {
  BIN="$(bin_dir)"
  stop_sidecar
  if exists; then "$BIN/kwokctl" --name "$cluster" delete cluster >&2 || true; fi
  rm -rf "$state" "$kubeconfig"
  log "deleted"
}

status() {
  BIN="$(bin_dir)"
  if ! exists; then echo "cluster $name: not created"; return 3; fi
  if api_up; then
    echo "cluster $name: running at https://127.0.0.1:$api_port"
    echo "kubeconfig: $kubeconfig"
    "$BIN/kwokctl" --name "$cluster" get components 2>/dev/null || true
    kc get nodes -L branch,topology.kubernetes.io/zone
  else
    echo "cluster $name: stopped"; return 3
  fi
}

target() { # NAMESPACE/POD
  local t="${args[0]:-}"
  [[ "$t" == */* ]] || die "give the pod as NAMESPACE/POD"
  ns="${t%%/*}"; pod="${t#*/}"
}

BIN=""
case "$cmd" in
  up) up;;
  down) down;;
  reset) reset;;
  status) status;;
  kubeconfig) echo "$kubeconfig";;
  fail-pod)
    BIN="$(bin_dir)"; target
    mode="${args[1]:-crashloop}"
    case "$mode" in crashloop|notready|exit) ;; *) die "mode must be crashloop, notready or exit, not '$mode'";; esac
    kc label pod -n "$ns" "$pod" "archipelago.dev/simulate=$mode" --overwrite >/dev/null
    log "pod $ns/$pod will turn $mode";;
  heal-pod)
    BIN="$(bin_dir)"; target
    # Its controller replaces a deleted pod with a healthy one; a bare pod is simply gone.
    kc delete pod -n "$ns" "$pod" --wait=false >/dev/null
    log "pod $ns/$pod deleted; its controller will recreate it healthy";;
  ""|-h|--help|help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//';;
  *) die "unknown command '$cmd' (up, down, reset, status, kubeconfig, fail-pod, heal-pod)";;
esac
