#!/usr/bin/env bash
# P6 (the daemon): resident memory of `aveloxis serve`, release build, in one run:
#
#   fleet   `serve --workers 4` collecting four large repositories at once (goal < 400 MB peak),
#           next to its baseline: one `collect --full` of one of them (same world, same run);
#   repeat  one worker collecting the same repository again and again (`days_until_recollect`
#           0, so it is due again as soon as it is done): resident memory after collection 1
#           (the baseline), 10, 25, 50 and 100 (goal: flat).
#
#   bash ci/bench_serve_memory.sh [fleet|repeat|all]       (default: all)
#   PRESET=large COPIES=4 REPEAT_PRESET=augur REPEATS=100  (the defaults)
#
# Counts are checked against the world's ground truth. The mock forge runs in its own process
# with a budget no run exhausts.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-all}
PRESET=${PRESET:-large}
COPIES=${COPIES:-4}
REPEAT_PRESET=${REPEAT_PRESET:-augur}
REPEATS=${REPEATS:-100}
ROOT=$PWD
WORK=$(mktemp -d "${TMPDIR:-/tmp}/aveloxis-bench-serve.XXXXXX")
# shellcheck source=ci/bench_common.sh
source ci/bench_common.sh

cargo build --release --locked -q -p aveloxis-core -p aveloxis-mock-forge
AV=$ROOT/target/release/aveloxis
bench_start_pg
SERVE_PID=
cleanup() {
  [ -n "$SERVE_PID" ] && kill "$SERVE_PID" 2>/dev/null || true
  [ -n "${MOCK_PID:-}" ] && kill "$MOCK_PID" 2>/dev/null || true
  bash "$ROOT/ci/pg.sh" stop "$AVELOXIS_PG_DIR" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# prepare CFG URL...: migrate, three keys, the repositories.
prepare() {
  local cfg=$1
  shift
  "$AV" --config "$cfg" migrate --skip-views >/dev/null
  for t in mock-token-0 mock-token-1 mock-token-2; do echo "$t" | "$AV" --config "$cfg" add-key >/dev/null; done
  "$AV" --config "$cfg" add-repo "$@" >/dev/null
}

# successes DB: successful collections so far.
successes() {
  psql -X -At -d "$1" -c "SELECT count(*) FROM aveloxis_ops.worker_history WHERE status = 'success'"
}

# serve_until CFG DB N TIMEOUT: starts serve (SERVE_PID) and waits for N successful
# collections; calls `on_success K` after each new one.
serve_until() {
  local cfg=$1 db=$2 n=$3 timeout=$4 seen=0 now
  "$AV" --config "$cfg" serve --monitor off --poll-ms 100 >"$WORK/serve.log" 2>&1 &
  SERVE_PID=$!
  local t0=$SECONDS
  while [ "$seen" -lt "$n" ]; do
    kill -0 "$SERVE_PID" 2>/dev/null || { echo "serve ended:"; tail -n 20 "$WORK/serve.log"; exit 1; }
    [ $((SECONDS - t0)) -lt "$timeout" ] || { echo "timed out after $seen collections"; tail -n 20 "$WORK/serve.log"; exit 1; }
    now=$(successes "$db")
    while [ "$seen" -lt "$now" ] && [ "$seen" -lt "$n" ]; do
      seen=$((seen + 1))
      on_success "$seen"
    done
    sleep 0.2
  done
}

stop_serve() {
  kill "$SERVE_PID" 2>/dev/null || true
  wait "$SERVE_PID" 2>/dev/null || true
  SERVE_PID=
}

fleet() {
  local dir=$WORK/fleet names=() urls=() db cfg peak
  bench_serve_world "$dir" --preset "$PRESET" --seed 1 --copies "$COPIES"
  names=("$PRESET")
  for k in $(seq 2 "$COPIES"); do names+=("$PRESET-$k"); done
  for n in "${names[@]}"; do urls+=("$BASE/mock-org/$n"); done

  db=bench_serve_one
  cfg=$(bench_config "$db")
  prepare "$cfg" "${urls[0]}"
  /usr/bin/time -f '%e %M' -o "$WORK/time" "$AV" --config "$cfg" collect "${urls[0]}" --full \
    >"$WORK/collect.log" 2>&1 || { tail -n 20 "$WORK/collect.log"; exit 1; }
  read -r wall kb <"$WORK/time"
  printf '%-44s %7ss %7d MB  %s\n' "baseline: collect --full of $PRESET (1 repo)" "$wall" $((kb / 1024)) \
    "$(check "$db" "$dir" "${names[0]}")"

  db=bench_serve_fleet
  cfg=$(bench_config "$db" '"workers": 4')
  prepare "$cfg" "${urls[@]}"
  on_success() { :; }
  local t0=$SECONDS
  serve_until "$cfg" "$db" "$COPIES" 3600
  peak=$(bench_rss "$SERVE_PID" VmHWM)
  stop_serve
  local counts=""
  for n in "${names[@]}"; do counts+="$n $(check "$db" "$dir" "$n"); "; done
  printf '%-44s %7ss %7d MB  %s\n' "serve --workers 4: $COPIES × $PRESET at once" $((SECONDS - t0)) "$peak" "$counts"
  kill "$MOCK_PID"; wait "$MOCK_PID" 2>/dev/null || true; MOCK_PID=
}

# check DB DIR NAME: "exact" or what differs from the ground truth.
check() {
  local got want
  got=$(bench_issues_and_prs "$1" "$3")
  want=$(bench_truth "$2" "$3")
  if [ "$got" = "$want" ]; then echo exact; else echo "WRONG ($got, want $want)"; fi
}

repeat() {
  local dir=$WORK/repeat db=bench_serve_repeat cfg
  bench_serve_world "$dir" --preset "$REPEAT_PRESET" --seed 1
  cfg=$(bench_config "$db" '"workers": 1, "days_until_recollect": 0')
  prepare "$cfg" "$BASE/mock-org/$REPEAT_PRESET"
  on_success() {
    case " 1 10 25 50 100 $REPEATS " in
    *" $1 "*)
      printf 'serve, one worker, %-7s after collection %3d: %5d MB resident (peak %d MB)\n' \
        "$REPEAT_PRESET" "$1" "$(bench_rss "$SERVE_PID" VmRSS)" "$(bench_rss "$SERVE_PID" VmHWM)"
      ;;
    esac
  }
  serve_until "$cfg" "$db" "$REPEATS" 3600
  stop_serve
  echo "counts after $REPEATS collections: $(check "$db" "$dir" "$REPEAT_PRESET")"
  kill "$MOCK_PID"; wait "$MOCK_PID" 2>/dev/null || true; MOCK_PID=
}

case "$what" in
fleet) fleet ;;
repeat) repeat ;;
all) fleet; repeat ;;
*) echo "usage: $0 [fleet|repeat|all]" >&2; exit 2 ;;
esac
