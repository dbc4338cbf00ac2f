#!/usr/bin/env bash
# The test command (README, CI): formatting, lints, and every test of the workspace.
# Every database test starts its own throwaway PostgreSQL cluster; nothing needs to be running.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
# The mock forge's third-party client test must run, not skip, here.
export MOCK_FORGE_REQUIRE_PYGITHUB=1
cargo fmt --all -- --check
# The layer rule (ARCHITECTURE.md): no module cycles, no oversized files or functions.
python3 ci/layers.py
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
