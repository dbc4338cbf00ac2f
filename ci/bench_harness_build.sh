#!/usr/bin/env bash
# Build time of the release gate: a clean `cargo build -p aveloxis-harness` (debug profile, empty
# target directory, no sccache) of a baseline revision and of the working tree, back to back in
# one run, so the two figures share the machine's state. Prints wall and CPU seconds and the
# number of compiled library units of each.
#
#   bash ci/bench_harness_build.sh [BASELINE_REV]   (default: 37733c0, the last revision whose
#                                                   harness linked the whole daemon)
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-37733c0}
work=$(mktemp -d "${TMPDIR:-/tmp}/aveloxis-build-bench.XXXXXX")
trap 'git worktree remove --force "$work/baseline" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add -q --detach "$work/baseline" "$base"
measure() {
  local name=$1 dir=$2
  local t0 t1
  t0=$(date +%s.%N)
  ( cd "$dir" && /usr/bin/time -f "%U %S" -o "$work/$name.cpu" \
      env CARGO_TARGET_DIR="$work/target-$name" cargo build -q -p aveloxis-harness )
  t1=$(date +%s.%N)
  read -r user sys < "$work/$name.cpu"
  awk -v n="$name" -v w="$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')" -v c="$user" -v s="$sys" \
      -v u="$(ls "$work/target-$name"/debug/deps/*.rlib | wc -l)" \
      'BEGIN{printf "%-9s wall %7.1f s   cpu %7.1f s   units %s\n", n, w, c+s, u}' 
}
measure baseline "$work/baseline"
measure current "$PWD"
