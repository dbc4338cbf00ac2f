#!/usr/bin/env bash
# The main job on embedded defaults: the release gate, hermetic. `harness data-test` builds the
# committed revision (HEAD, as the "released" side) and the working tree, provisions a throwaway
# PostgreSQL cluster with two scratch databases, collects the mock forge's augur-shaped
# repository into both, compares every table and writes the report. Then the schema gate.
# Needs nothing running; leaves nothing running. Override the released revision with
# RELEASED=<rev> and the mock preset with PRESET=tiny|augur|large.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
cargo build --locked -q -p aveloxis-harness -p aveloxis-core
WORK=${AVELOXIS_WORK_DIR:-.aveloxis-work}
mkdir -p "$WORK"
status=0
target/debug/harness data-test --released-tag "${RELEASED:-HEAD}" \
  --repo https://github.com/augurlabs/augur --preset "${PRESET:-augur}" \
  --work-dir "$WORK/data-test" || status=$?
echo "data-test report: $WORK/data-test/report.md (exit $status)"
target/debug/harness schema-check --report "$WORK/schema-check.md" | head -n 4
echo "schema-check report: $WORK/schema-check.md"
exit "$status"
