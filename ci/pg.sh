#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for people and scripts (the Rust suites use the aveloxis-pg
# library, which does the same thing).
#
#   eval "$(ci/pg.sh start)"   # starts a cluster; exports PGHOST/PGPORT/PGUSER/PGPASSWORD,
#                              #   AVELOXIS_PG_DIR and AVELOXIS_DATABASE_{HOST,PORT,USER,PASSWORD,SSLMODE}
#   ci/pg.sh stop [DIR]        # stops it and deletes its directory (default $AVELOXIS_PG_DIR)
#
# As root, server commands run as the `postgres` user (initdb refuses root).
# No local account is trusted over TCP: loopback connections need a random password made for this
# cluster (kept in DIR/password, mode 0600; set over the unix socket, never on a command line), and
# the socket lives in DIR, mode 0700.
set -euo pipefail

bin_dir() {
  if [ -n "${AVELOXIS_PG_BIN:-}" ]; then echo "$AVELOXIS_PG_BIN"; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [ -n "$d" ]; then echo "$d"; else dirname "$(command -v initdb)"; fi
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

case "${1:-}" in
  start)
    BIN=$(bin_dir)
    DIR=$(mktemp -d "${TMPDIR:-/tmp}/aveloxis-pg-sh.XXXXXX")
    chmod 700 "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
    as_pg "$BIN/initdb" -D "$DIR/data" -N -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
    printf '%s\n' 'local all all trust' 'host all all 127.0.0.1/32 scram-sha-256' \
      'host all all ::1/128 scram-sha-256' | as_pg tee "$DIR/data/pg_hba.conf" >/dev/null
    PORT=$(free_port)
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -w -l "$DIR/server.log" \
      -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null
    (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$DIR/password")
    printf "ALTER ROLE postgres PASSWORD '%s';\n" "$(cat "$DIR/password")" |
      psql -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d postgres >/dev/null
    cat <<ENV
export AVELOXIS_PG_DIR=$DIR PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGPASSWORD=\$(cat $DIR/password)
export AVELOXIS_DATABASE_HOST=127.0.0.1 AVELOXIS_DATABASE_PORT=$PORT AVELOXIS_DATABASE_USER=postgres AVELOXIS_DATABASE_PASSWORD=\$PGPASSWORD AVELOXIS_DATABASE_SSLMODE=disable
ENV
    ;;
  stop)
    DIR=${2:-${AVELOXIS_PG_DIR:-}}
    [ -n "$DIR" ] && [ -d "$DIR/data" ] || { echo "ci/pg.sh stop: no cluster directory given" >&2; exit 1; }
    as_pg "$(bin_dir)/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null || true
    rm -rf "$DIR"
    ;;
  *)
    echo "usage: ci/pg.sh start | ci/pg.sh stop [DIR]" >&2
    exit 2
    ;;
esac
