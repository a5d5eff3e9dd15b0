#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL server on 127.0.0.1: installs Debian's `postgresql` package when the
# machine has no server, starts one on a free port in a temporary data directory (durability off: the data is thrown
# away), exports its URL as FCM_TEST_POSTGRES_URL (and the server's pid as FCM_TEST_POSTGRES_PID), runs the command,
# and stops the server and removes its directory afterwards, whatever the command's exit.
#
#   bash scripts/with-postgres.sh npm test
#   bash scripts/with-postgres.sh node --import tsx packages/cluster/scripts/scale.ts
set -euo pipefail
[ "$#" -gt 0 ] || { echo "usage: bash scripts/with-postgres.sh COMMAND [ARGS...]" >&2; exit 2; }

stamp() { echo "with-postgres: $(date +%T) $*" >&2; }

# The newest PostgreSQL server binaries on the machine, if any.
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true; }

install_postgres() {
  local started=$SECONDS
  stamp "installing Debian's postgresql package"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq --no-install-recommends postgresql \
    >/dev/null
  stamp "postgresql installed in $((SECONDS - started)) s"
}

PG_DIR=""
PG_CTL=""
PG_USER=""
stop_postgres() {
  if [ -n "$PG_CTL" ] && [ -n "$PG_DIR" ]; then
    as_pg "$PG_CTL" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
}

# PostgreSQL refuses to run as root: as root, run it as the package's `postgres` user.
as_pg() {
  if [ -n "$PG_USER" ]; then runuser -u "$PG_USER" -- "$@"; else "$@"; fi
}

start_postgres() {
  local started=$SECONDS bin port
  bin="$(pg_bin)"
  if [ -z "$bin" ]; then
    install_postgres
    bin="$(pg_bin)"
  fi
  [ -n "$bin" ] || { echo "with-postgres: no PostgreSQL server after the install" >&2; return 1; }
  [ "$(id -u)" -ne 0 ] || PG_USER=postgres
  PG_DIR="$(mktemp -d /tmp/fcm-ci-pg.XXXXXX)"
  [ -z "$PG_USER" ] || chown "$PG_USER" "$PG_DIR"
  PG_CTL="$bin/pg_ctl"
  as_pg "$bin/initdb" -D "$PG_DIR/data" -U fcm --auth=trust --no-sync -E UTF8 >"$PG_DIR/initdb.log" 2>&1 ||
    { cat "$PG_DIR/initdb.log" >&2; return 1; }
  port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => {
    console.log(s.address().port); s.close() })')"
  # a test database: durability off (the data is thrown away), room for several runners' pools
  as_pg "$PG_CTL" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start -o "-h 127.0.0.1 -p $port \
    -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null ||
    { cat "$PG_DIR/server.log" >&2; return 1; }
  export FCM_TEST_POSTGRES_URL="postgres://fcm@127.0.0.1:$port/postgres"
  FCM_TEST_POSTGRES_PID="$(head -n 1 "$PG_DIR/data/postmaster.pid")"
  export FCM_TEST_POSTGRES_PID
  stamp "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port in $((SECONDS - started)) s"
}

trap stop_postgres EXIT
start_postgres
"$@"
