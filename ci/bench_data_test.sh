#!/usr/bin/env bash
# Wall time of a hermetic `harness data-test` (excluding compilation): the two-side run
# (`--no-upgraded`) and the three-side run (released, new, upgraded + rollback check) back to
# back in one invocation, same binary on every side, so the two figures share the machine's
# state. Prints the run's phases and every side's steps (from report.json) for both.
#
#   bash ci/bench_data_test.sh [PRESET] [DAYS]   (default: augur 1)
#
# Uses target/debug/{harness,aveloxis} (build them first: `cargo build -p aveloxis-harness
# -p aveloxis-core`); the collector is copied so a concurrent rebuild cannot swap it.
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:-augur}
days=${2:-1}
work=$(mktemp -d "${TMPDIR:-/tmp}/aveloxis-dt-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp target/debug/aveloxis "$work/aveloxis"
run() {
  local name=$1
  shift
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  NO_PROGRESS=1 target/debug/harness data-test --released-tag HEAD \
    --repo "https://github.com/augurlabs/$preset" --preset "$preset" --days "$days" \
    --released-bin "$work/aveloxis" --new-bin "$work/aveloxis" \
    --work-dir "$work/$name" "$@" > "$work/$name.log" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  echo "== $name: exit $rc, wall $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}') s"
  python3 - "$work/$name/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("   phases: " + ", ".join(f"{p['name']} {p['seconds']:.1f}" for p in r["phases"]))
for s in r["sides"]:
    steps = ", ".join(f"{st['name']} {st['seconds']:.1f}" for st in s["steps"])
    print(f"   {s['side']:<9} {s['seconds']:6.1f} s: {steps}")
PY
}
run two-sides --no-upgraded
run three-sides
