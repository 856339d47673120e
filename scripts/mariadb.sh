#!/usr/bin/env bash
# A local MariaDB from Debian's packages, for the SQL registrar's tests (seed 002 registers
# islands into the studio's MySQL). Listens on 127.0.0.1 only; data in .local/mariadb.
#
#   scripts/mariadb.sh start   install (apt) if missing, initialise and start; prints the URL
#   scripts/mariadb.sh stop    stop it (the data directory is kept)
#   scripts/mariadb.sh url     print the connection URL
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
port="${ARCHIPELAGO_MARIADB_PORT:-33069}"
base="$root/.local/mariadb"
data="$base/data"
sock="$base/mysqld.sock"
pidfile="$base/mysqld.pid"
url="mysql://root@127.0.0.1:$port/archipelago"
log() { echo "[mariadb] $*" >&2; }

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

start() {
  if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
    [ "$(id -u)" = 0 ] || { echo "mariadb.sh: MariaDB is not installed; run as root or: apt-get install -y mariadb-server" >&2; exit 1; }
    log "installing mariadb-server from Debian's packages"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mariadb-server >/dev/null
    # The package starts a system server; ours runs on its own port and data directory.
    (service mariadb stop || true) >/dev/null 2>&1
  fi
  mkdir -p "$base"
  local user=()
  if [ "$(id -u)" = 0 ]; then user=(--user=mysql); chown -R mysql:mysql "$base"; fi
  if [ ! -d "$data/mysql" ]; then
    log "initialising $data"
    mariadb-install-db "${user[@]}" --datadir="$data" --auth-root-authentication-method=normal \
      --skip-test-db >"$base/install.log" 2>&1 || { cat "$base/install.log" >&2; exit 1; }
  fi
  if ! running; then
    /usr/sbin/mariadbd "${user[@]}" --datadir="$data" --socket="$sock" --pid-file="$pidfile" \
      --port="$port" --bind-address=127.0.0.1 --skip-name-resolve --log-error="$base/error.log" \
      >/dev/null 2>&1 &
    local i
    for i in $(seq 1 60); do
      mariadb --protocol=TCP -h 127.0.0.1 -P "$port" -u root -e 'select 1' >/dev/null 2>&1 && break
      sleep 0.5
    done
    mariadb --protocol=TCP -h 127.0.0.1 -P "$port" -u root -e 'select 1' >/dev/null 2>&1 ||
      { tail -20 "$base/error.log" >&2; echo "mariadb.sh: MariaDB did not start" >&2; exit 1; }
  fi
  mariadb --protocol=TCP -h 127.0.0.1 -P "$port" -u root -e 'create database if not exists archipelago'
  echo "$url"
}

stop() {
  if running; then
    kill "$(cat "$pidfile")"
    local i
    for i in $(seq 1 60); do running || break; sleep 0.5; done
    log "stopped"
  fi
}

case "${1:-}" in
  start) start;;
  stop) stop;;
  url) echo "$url";;
  *) echo "usage: scripts/mariadb.sh start|stop|url" >&2; exit 2;;
esac
