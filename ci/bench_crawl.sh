#!/usr/bin/env bash
# Collection vs a third-party crawl: wall time of `aveloxis collect --full` (fetch + store +
# clone) of one generated repository of the mock forge, next to PyGithub fetching the same
# entities of the same repository from the same mock (ci/bench_crawl.py: fetch only, nothing
# stored), in the same run.
#
#   bash ci/bench_crawl.sh [PRESET]        # default: augur
#   PROFILE=debug bash ci/bench_crawl.sh tiny   # a quick check of the script, not a figure
#   SKIP_BUILD=1 bash ci/bench_crawl.sh          # reuse the binaries already built
#
# Release build. The mock forge serves the preset (seed 1) with a budget no run exhausts; each
# side's item counts are checked against the preset's ground truth, so neither side can report
# a time for less work. Needs PyGithub (`pip install PyGithub`, done by ci/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
PRESET=${1:-augur}
ROOT=$PWD
WORK=$(mktemp -d "${TMPDIR:-/tmp}/aveloxis-bench-crawl.XXXXXX")
python3 -c 'import github' || { echo "PyGithub is not installed (pip install PyGithub)"; exit 1; }

PROFILE=${PROFILE:-release}
if [ -n "${SKIP_BUILD:-}" ]; then
  :  # reuse target/$PROFILE as built
elif [ "$PROFILE" = release ]; then
  cargo build --release --locked -q -p aveloxis-core -p aveloxis-mock-forge --bins
else
  cargo build --locked -q -p aveloxis-core -p aveloxis-mock-forge --bins
fi
AV=$ROOT/target/$PROFILE/aveloxis
MOCK=$ROOT/target/$PROFILE/mock-forge

# shellcheck source=ci/bench_common.sh
source ci/bench_common.sh
bench_start_pg
cleanup() {
  [ -n "${MOCK_PID:-}" ] && kill "$MOCK_PID" 2>/dev/null || true
  bash "$ROOT/ci/pg.sh" stop "$AVELOXIS_PG_DIR" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

dir=$WORK/world
bench_serve_world "$dir" --preset "$PRESET" --seed 1
base=$BASE
truth() {
  python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['repos']['mock-org/$PRESET']; print($1)" \
    "$dir/ground-truth.json"
}

db=bench_crawl
cfg=$(bench_config "$db")
av() { "$AV" --config "$cfg" "$@"; }
av migrate --skip-views >/dev/null
for t in mock-token-0 mock-token-1 mock-token-2; do av add-key "$t" >/dev/null; done
av add-repo "$base/mock-org/$PRESET" >/dev/null

start=$(date +%s.%N)
av collect "$base/mock-org/$PRESET" --full >"$WORK/collect.log" 2>&1 ||
  { echo "collect failed:"; tail -n 20 "$WORK/collect.log"; exit 1; }
ours=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)")
q() { psql -X -At -d "$db" -c "SELECT count(*) FROM aveloxis_data.$1"; }
got="$(q issues) $(q pull_requests) $(q pull_request_reviews) $(q pull_request_commits) $(q pull_request_files) $(q releases) $(( $(q issue_events) + $(q pull_request_events) )) $(q review_comments)"
want=$(truth "t['issues'], t['pull_requests'], t['reviews'], t['pull_request_commits'], t['pull_request_files'], t['releases'], t['issue_events'] + t['pull_request_events'], t['review_comments']" | tr -d '(),')
[ "$got" = "$want" ] || { echo "aveloxis counts WRONG: $got, want $want"; exit 1; }

start=$(date +%s.%N)
python3 ci/bench_crawl.py "$base/api/v3" mock-token-0 "mock-org/$PRESET" >"$WORK/crawl.json"
theirs=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)")
got=$(python3 -c "import json,sys; v=json.load(open(sys.argv[1])); print(v['issues_listing'], v['pulls'], v['reviews'], v['pull_commits'], v['pull_files'], v['releases'], v['events'], v['review_comments'], v['comments'], v['contributors'])" "$WORK/crawl.json")
want=$(truth "t['issues_listing'], t['pull_requests'], t['reviews'], t['pull_request_commits'], t['pull_request_files'], t['releases'], t['issue_events'] + t['pull_request_events'], t['review_comments'], t['issue_comments'] + t['pull_request_issue_comments'], t['contributors']" | tr -d '(),')
[ "$got" = "$want" ] || { echo "PyGithub counts WRONG: $got, want $want"; exit 1; }

echo "preset $PRESET (seed 1): counts exact on both sides ($want)"
echo "  PyGithub crawl (baseline, fetch only): ${theirs} s"
echo "  aveloxis collect --full (fetch + store + clone): ${ours} s"
python3 -c "import sys; print(f'  ratio: aveloxis {float(sys.argv[1]) / float(sys.argv[2]):.2f}x faster (goal >= 3x)')" "$theirs" "$ours"
