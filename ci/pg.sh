#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for people and scripts (the Rust suites use the aveloxis-pg
# library, which does the same thing).
#
#   eval "$(ci/pg.sh start)"   # starts a cluster; exports PGHOST/PGPORT/PGUSER, AVELOXIS_PG_DIR
#                              #   and AVELOXIS_DATABASE_{HOST,PORT,USER,SSLMODE}
#   ci/pg.sh stop [DIR]        # stops it and deletes its directory (default $AVELOXIS_PG_DIR)
#
# As root, server commands run as the `postgres` user (initdb refuses root).
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
    chmod 755 "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$DIR"
    as_pg "$BIN/initdb" -D "$DIR/data" -N -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
    PORT=$(free_port)
    as_pg "$BIN/pg_ctl" -D "$DIR/data" -w -l "$DIR/server.log" \
      -o "-h 127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
      start >/dev/null
    cat <<ENV
export AVELOXIS_PG_DIR=$DIR PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres
export AVELOXIS_DATABASE_HOST=127.0.0.1 AVELOXIS_DATABASE_PORT=$PORT AVELOXIS_DATABASE_USER=postgres AVELOXIS_DATABASE_SSLMODE=disable
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
