#!/usr/bin/env bash
# P6: peak resident memory of `aveloxis collect --full` of one generated repository, per preset,
# for this revision and a baseline revision, in the same run (same machine, same worlds).
#
#   bash ci/bench_memory.sh [PRESET...]          # default: tiny augur large
#   BASELINE=<rev> bash ci/bench_memory.sh ...   # default baseline: 340fb1d (before streaming);
#                                                #   BASELINE=none measures this revision only
#
# Release builds (the baseline in a git worktree under target/bench-baseline, sharing nothing
# with the working tree's target). The mock forge serves each preset with a budget no run
# exhausts, so wall time is collection, not waiting. Each run gets a fresh database of a
# throwaway cluster (ci/pg.sh); counts are checked against the preset's ground truth.
set -euo pipefail
cd "$(dirname "$0")/.."
PRESETS=("$@")
[ ${#PRESETS[@]} -gt 0 ] || PRESETS=(tiny augur large)
BASELINE=${BASELINE:-340fb1d}
ROOT=$PWD
WORK=$(mktemp -d "${TMPDIR:-/tmp}/aveloxis-bench-mem.XXXXXX")

cargo build --release --locked -q -p aveloxis-core -p aveloxis-mock-forge
declare -A BIN=([new]="$ROOT/target/release/aveloxis")
SIDES=(new)
if [ "$BASELINE" != none ]; then
  BASE_DIR=$ROOT/target/bench-baseline
  if [ ! -d "$BASE_DIR/src" ]; then
    git worktree remove --force "$BASE_DIR/src" 2>/dev/null || true
    git worktree add -q --detach "$BASE_DIR/src" "$BASELINE"
  else
    git -C "$BASE_DIR/src" checkout -q --detach "$BASELINE"
  fi
  (cd "$BASE_DIR/src" && cargo build --release --locked -q -p aveloxis-core \
    --target-dir "$BASE_DIR/target")
  BIN[baseline]="$BASE_DIR/target/release/aveloxis"
  SIDES=(baseline new)
fi
# shellcheck source=ci/bench_common.sh
source ci/bench_common.sh
bench_start_pg
cleanup() {
  [ -n "${MOCK_PID:-}" ] && kill "$MOCK_PID" 2>/dev/null || true
  bash "$ROOT/ci/pg.sh" stop "$AVELOXIS_PG_DIR" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

printf '%-8s %-9s %10s %8s %10s %s\n' preset side "issues+prs" wall "peak RSS" counts
for preset in "${PRESETS[@]}"; do
  dir=$WORK/$preset
  bench_serve_world "$dir" --preset "$preset" --seed 1
  want=$(bench_truth "$dir" "$preset")
  for side in "${SIDES[@]}"; do
    db="bench_mem_${preset}_${side}"
    cfg=$(bench_config "$db")
    av() { "${BIN[$side]}" --config "$cfg" "$@"; }
    av migrate --skip-views >/dev/null 2>&1 || av migrate >/dev/null
    for t in mock-token-0 mock-token-1 mock-token-2; do echo "$t" | av add-key >/dev/null; done
    av add-repo "$BASE/mock-org/$preset" >/dev/null
    /usr/bin/time -f '%e %M' -o "$WORK/time" "${BIN[$side]}" --config "$cfg" \
      collect "$BASE/mock-org/$preset" --full >"$WORK/collect.log" 2>&1 ||
      { echo "collect failed ($side, $preset):"; tail -n 20 "$WORK/collect.log"; exit 1; }
    read -r wall kb <"$WORK/time"
    got=$(bench_issues_and_prs "$db" "$preset")
    check=exact; [ "$got" = "$want" ] || check="WRONG ($got, want $want)"
    printf '%-8s %-9s %10s %7ss %7d MB %s\n' "$preset" "$side" "$want" "$wall" $((kb / 1024)) "$check"
  done
  kill "$MOCK_PID"; wait "$MOCK_PID" 2>/dev/null || true; MOCK_PID=
done
