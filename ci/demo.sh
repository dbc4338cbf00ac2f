#!/usr/bin/env bash
# The main job on embedded defaults: a throwaway PostgreSQL cluster, `aveloxis migrate` into it,
# a view refresh, and the schema gate (`harness schema-check`) over the working tree's history.
# Needs nothing running; leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
cargo build --locked -q -p aveloxis-core -p aveloxis-harness
BIN=${CARGO_TARGET_DIR:-target}/debug
WORK=${AVELOXIS_WORK_DIR:-.aveloxis-work}
mkdir -p "$WORK"

eval "$(bash ci/pg.sh start)"
trap 'bash ci/pg.sh stop "$AVELOXIS_PG_DIR"' EXIT
psql -q -c 'CREATE DATABASE aveloxis'
cat > "$WORK/aveloxis.json" <<JSON
{"database": {"host": "127.0.0.1", "port": $PGPORT, "user": "postgres", "dbname": "aveloxis", "sslmode": "disable"}}
JSON
echo "== aveloxis migrate (PostgreSQL on 127.0.0.1:$PGPORT)"
"$BIN/aveloxis" -c "$WORK/aveloxis.json" migrate
"$BIN/aveloxis" -c "$WORK/aveloxis.json" migrate --dry-run | tail -n 2
echo "== aveloxis refresh-views"
"$BIN/aveloxis" -c "$WORK/aveloxis.json" refresh-views | tail -n 3
echo "== schema"
psql -At -F ' ' -c "SELECT n.nspname, count(*) FILTER (WHERE relkind = 'r') AS tables,
                           count(*) FILTER (WHERE relkind = 'm') AS matviews,
                           count(*) FILTER (WHERE relkind = 'v') AS views
                      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE nspname LIKE 'aveloxis%' GROUP BY 1 ORDER BY 1" aveloxis |
  while read -r schema t m v; do echo "  $schema: $t tables, $m materialized views, $v views"; done
echo "== harness schema-check"
"$BIN/harness" schema-check --server-url "postgres://postgres@127.0.0.1:$PGPORT" --report "$WORK/schema-check.md" | head -n 4
echo "report: $WORK/schema-check.md"
