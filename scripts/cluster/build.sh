#!/usr/bin/env bash
# Builds the local control plane from pinned Go modules into a cache outside the repo:
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (k8s.io/kubernetes)
#   etcd (go.etcd.io/etcd/server/v3), kwok and kwokctl (sigs.k8s.io/kwok),
#   metrics-server (sigs.k8s.io/metrics-server); and it downloads the Gateway API module
#   (sigs.k8s.io/gateway-api), whose CRDs cluster.sh installs.
# The cache is keyed by the versions in versions.env; a warm cache returns at once.
# Prints the bin directory on stdout. Progress goes to stderr.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

cache_root="${ARCHIPELAGO_CACHE_DIR:-$HOME/.cache/archipelago}"
key="k8s-${KUBE_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}"
dest="$cache_root/cluster/$key"
bin="$dest/bin"
want=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl metrics-server)

complete() { for b in "${want[@]}"; do [ -x "$bin/$b" ] || return 1; done; [ -d "$dest/gateway-api-$GATEWAY_API_VERSION" ]; }
if complete; then echo "$bin"; exit 0; fi

command -v go >/dev/null || { echo "build.sh: Go is required to build the local cluster (install Go 1.26+)" >&2; exit 1; }
mkdir -p "$bin" "$dest/src"
log() { echo "[cluster-build] $*" >&2; }
# The Go builds are minutes without a line of their own: say every minute that it goes on.
# It holds no pipe of its caller's after it is stopped: its sleep goes with it.
(
  trap 'kill "$s" 2>/dev/null; exit 0' TERM
  start=$SECONDS
  while :; do
    sleep 60 >/dev/null 2>&1 & s=$!
    wait "$s"
    log "still building ($(( (SECONDS - start) / 60 )) min so far; a first build takes 10-20 min on 2 cores)"
  done
) >/dev/null &
heartbeat=$!
trap 'kill "$heartbeat" 2>/dev/null' EXIT
export CGO_ENABLED=0 GOFLAGS=-mod=mod
jobs="${ARCHIPELAGO_BUILD_JOBS:-2}"

build_kube() {
  local mod="$dest/src/kubernetes" minor major
  [ -x "$bin/kube-apiserver" ] && [ -x "$bin/kube-controller-manager" ] && [ -x "$bin/kube-scheduler" ] && [ -x "$bin/kubectl" ] && return 0
  mkdir -p "$mod"
  local staging="v0.${KUBE_VERSION#v1.}"
  major=1; minor="$(echo "$KUBE_VERSION" | cut -d. -f2)"
  log "resolving k8s.io/kubernetes@$KUBE_VERSION"
  local gomod
  gomod="$(cd "$mod" && go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
  {
    echo "module archipelago.local/kubebuild"
    echo
    echo "go 1.26"
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    # k8s.io/kubernetes replaces its staging modules with local paths, which a dependent
    # cannot use: point each one at its published v0.<minor>.<patch> tag instead.
    sed -n '/^replace (/,/^)/p' "$gomod" | awk '$2=="=>" && $3 ~ /^\.\/staging/ {print "\t" $1 " => " $1 " '"$staging"'"}'
    echo ")"
  } > "$mod/go.mod"
  cat > "$mod/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  (cd "$mod" && go mod tidy -e >&2 2>"$dest/tidy.log" || true)
  local pkg="k8s.io/component-base/version" cpkg="k8s.io/client-go/pkg/version"
  local date; date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  local ld="-s -w"
  for p in "$pkg" "$cpkg"; do
    ld="$ld -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
    [ -x "$bin/$c" ] && continue
    log "building $c $KUBE_VERSION (first time takes a while)"
    (cd "$mod" && go build -p "$jobs" -trimpath -tags selinux,notest -ldflags "$ld" -o "$bin/$c.tmp" "k8s.io/kubernetes/cmd/$c")
    mv "$bin/$c.tmp" "$bin/$c"
  done
}

build_etcd() {
  [ -x "$bin/etcd" ] && return 0
  local mod="$dest/src/etcd"
  mkdir -p "$mod"
  cat > "$mod/go.mod" <<GOMOD
module archipelago.local/etcdbuild

go 1.26

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GOMOD
  cat > "$mod/tools.go" <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
  log "building etcd $ETCD_VERSION"
  (cd "$mod" && go mod tidy -e >&2 2>"$dest/etcd-tidy.log" || true)
  (cd "$mod" && go build -p "$jobs" -trimpath -ldflags "-s -w" -o "$bin/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$bin/etcd.tmp" "$bin/etcd"
}

build_kwok() {
  [ -x "$bin/kwok" ] && [ -x "$bin/kwokctl" ] && return 0
  log "building kwok and kwokctl $KWOK_VERSION"
  local v="sigs.k8s.io/kwok/pkg/consts"
  GOBIN="$bin" GOFLAGS= go install -p "$jobs" -trimpath -ldflags "-s -w -X $v.Version=${KWOK_VERSION#v} -X $v.KubeVersion=${KUBE_VERSION#v}" \
    "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" "sigs.k8s.io/kwok/cmd/kwokctl@$KWOK_VERSION"
}

build_metrics_server() {
  [ -x "$bin/metrics-server" ] && return 0
  local mod="$dest/src/metrics-server" v="k8s.io/client-go/pkg/version" minor
  minor="$(echo "$METRICS_SERVER_VERSION" | cut -d. -f2)"
  mkdir -p "$mod"
  printf 'module archipelago.local/metricsbuild\n\ngo 1.26\n' > "$mod/go.mod"
  log "building metrics-server $METRICS_SERVER_VERSION"
  (cd "$mod" && go get -tool "sigs.k8s.io/metrics-server/cmd/metrics-server@$METRICS_SERVER_VERSION" >&2 2>"$dest/metrics-server-get.log")
  # kwokctl reads the version from --version: stamp it as the release's Makefile does.
  (cd "$mod" && go build -p "$jobs" -trimpath \
    -ldflags "-s -w -X $v.gitVersion=$METRICS_SERVER_VERSION -X $v.gitMajor=0 -X $v.gitMinor=$minor -X $v.gitTreeState=clean" \
    -o "$bin/metrics-server.tmp" sigs.k8s.io/metrics-server/cmd/metrics-server)
  mv "$bin/metrics-server.tmp" "$bin/metrics-server"
}

# The Gateway API's CRDs, copied out of its module (config/crd/standard/).
fetch_gateway_api() {
  local out="$dest/gateway-api-$GATEWAY_API_VERSION" dir
  [ -d "$out" ] && return 0
  log "downloading sigs.k8s.io/gateway-api $GATEWAY_API_VERSION"
  dir="$(cd "$dest/src" && GOFLAGS= go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')"
  [ -d "$dir/config/crd/standard" ] || { echo "build.sh: $dir/config/crd/standard is missing" >&2; exit 1; }
  mkdir -p "$out.tmp" && cp "$dir"/config/crd/standard/*.yaml "$out.tmp/" && chmod 644 "$out.tmp"/*.yaml && mv "$out.tmp" "$out"
}

build_kwok
build_etcd
build_kube
build_metrics_server
fetch_gateway_api
complete || { echo "build.sh: build finished but binaries are missing in $bin" >&2; exit 1; }
for b in "${want[@]}"; do log "$b: $( { "$bin/$b" --version 2>/dev/null || "$bin/$b" version --client 2>/dev/null; } | head -1)"; done
echo "$bin"
