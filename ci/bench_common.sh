# Sourced by the benchmark scripts: a throwaway cluster, a generated mock world served with a
# budget no run exhausts, and a config for one database. Needs ROOT (the project) and WORK (a
# scratch directory the caller removes).

# bench_start_pg: starts a throwaway cluster (ci/pg.sh) and exports its PG* variables.
bench_start_pg() {
  eval "$(bash "$ROOT/ci/pg.sh" start)"
}

# bench_serve_world DIR GENERATE-ARGS...: generates a world into DIR, lifts its rate limit and
# serves it with $MOCK (default: the release mock-forge); sets MOCK_PID and BASE (its URL).
bench_serve_world() {
  local dir=$1 mock=${MOCK:-$ROOT/target/release/mock-forge}
  shift
  "$mock" generate "$@" --out "$dir" >/dev/null
  sed -i 's/^rate_limit: .*/rate_limit: { limit: 100000000, window_secs: 3600, exhausted_status: 403 }/' \
    "$dir/scenario.yaml"
  rm -f "$WORK/url"
  "$mock" serve --scenario "$dir" --print-url >"$WORK/url" 2>"$WORK/mock.log" &
  MOCK_PID=$!
  for _ in $(seq 300); do [ -s "$WORK/url" ] && break; sleep 0.1; done
  BASE=$(head -n1 "$WORK/url")
}

# bench_config DB [COLLECTION-JSON]: a fresh database DB and its config file (printed), the
# collection section extended by COLLECTION-JSON (e.g. '"workers": 4').
bench_config() {
  local db=$1 extra=${2:-}
  PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  local cfg=$WORK/$db.json
  cat >"$cfg" <<JSON
{"database": {"host": "$PGHOST", "port": $PGPORT, "user": "postgres", "password": "$PGPASSWORD",
              "dbname": "$db", "sslmode": "disable"},
 "github": {"api_url": "$BASE/api/v3", "web_url": "$BASE"},
 "collection": {"repo_clone_dir": "$WORK/clones-$db", "enrich_per_run": 0, "resolve_per_run": 0${extra:+, $extra}}}
JSON
  echo "$cfg"
}

# bench_issues_and_prs DB REPO: issues + pull requests collected for mock-org/REPO.
bench_issues_and_prs() {
  psql -X -At -d "$1" -c "SELECT (SELECT count(*) FROM aveloxis_data.issues i JOIN aveloxis_data.repos r USING (repo_id) WHERE r.repo_name = '$2')
                               + (SELECT count(*) FROM aveloxis_data.pull_requests p JOIN aveloxis_data.repos r USING (repo_id) WHERE r.repo_name = '$2')"
}

# bench_truth DIR REPO: issues + pull requests of mock-org/REPO on day 0 of the world in DIR.
bench_truth() {
  python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['repos']['mock-org/'+sys.argv[2]]; print(t['issues']+t['pull_requests'])" \
    "$1/ground-truth.json" "$2"
}

# bench_rss PID FIELD: VmRSS or VmHWM (peak) of PID in MB.
bench_rss() {
  awk -v f="$2:" '$1 == f { printf "%d", $2 / 1024 }' "/proc/$1/status"
}
