#!/usr/bin/env bash
# A throwaway PostgreSQL for tests, from Debian's packages, on 127.0.0.1 only.
#   scripts/postgres.sh start   install (apt) if missing, init and start; prints the URL
#   scripts/postgres.sh stop    stop it (the data directory is kept for the next run)
#   scripts/postgres.sh url     print the connection URL
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
port="${ARCHIPELAGO_PG_PORT:-54329}"
data="$root/.local/postgres/data"
sock="$root/.local/postgres/run"
url="postgresql://postgres@127.0.0.1:$port/postgres"
log() { echo "[postgres] $*" >&2; }

pg_bin() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
  [ -n "$d" ] && [ -x "$d/pg_ctl" ] && echo "$d"
}

as_pg() { # run a command as the unprivileged postgres user (initdb refuses root)
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  local bin
  bin="$(pg_bin || true)"
  if [ -z "$bin" ]; then
    [ "$(id -u)" = 0 ] || { echo "postgres.sh: PostgreSQL is not installed; run as root or: apt-get install -y postgresql" >&2; exit 1; }
    log "installing PostgreSQL from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq postgresql >/dev/null
    # Debian's package starts a system cluster on 5432; tests use their own, so stop that one.
    (service postgresql stop || true) >/dev/null 2>&1
    bin="$(pg_bin)"
  fi
  mkdir -p "$data" "$sock"
  [ "$(id -u)" = 0 ] && chown -R postgres:postgres "$root/.local/postgres"
  if [ ! -f "$data/PG_VERSION" ]; then
    log "initialising $data"
    as_pg "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "already running on 127.0.0.1:$port"
  else
    as_pg "$bin/pg_ctl" -D "$data" -l "$root/.local/postgres/server.log" -w -t 60 start \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $sock -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
    log "started on 127.0.0.1:$port"
  fi
  echo "$url"
}

stop() {
  local bin; bin="$(pg_bin || true)"
  [ -n "$bin" ] && [ -f "$data/PG_VERSION" ] || return 0
  as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 && log "stopped" || true
}

case "${1:-}" in
  start) start;;
  stop) stop;;
  url) echo "$url";;
  *) echo "usage: scripts/postgres.sh start|stop|url" >&2; exit 2;;
esac
