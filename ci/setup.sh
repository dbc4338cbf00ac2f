#!/usr/bin/env bash
# Installs what the build and the tests need when it is missing: PostgreSQL server binaries,
# git, Chromium + playwright-core (dashboard test), the workflow linter, PyGithub (mock-forge
# client test).
# Safe to re-run; does nothing on a machine that has everything.
set -euo pipefail
cd "$(dirname "$0")/.."

have_pg() {
  [ -n "${AVELOXIS_PG_BIN:-}" ] && [ -x "$AVELOXIS_PG_BIN/initdb" ] && return 0
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && return 0
  command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1
}

apt_install() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "ci/setup.sh: need root or sudo to install $*" >&2; exit 1; }
    sudo="sudo"
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

if ! have_pg; then
  echo "ci/setup.sh: installing PostgreSQL server binaries" >&2
  apt_install postgresql
  # Debian/Ubuntu start a system cluster on install; the tests use their own clusters.
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    for c in /etc/postgresql/*/main; do
      [ -d "$c" ] || continue
      v=$(basename "$(dirname "$c")")
      pg_ctlcluster "$v" main stop 2>/dev/null || sudo pg_ctlcluster "$v" main stop 2>/dev/null || true
    done
  fi
fi
command -v git >/dev/null 2>&1 || apt_install git
# The dashboard test drives Debian's Chromium with playwright-core (no browser download).
# ($CHROMIUM may name another Chromium-based browser, e.g. google-chrome on GitHub's runners.)
if [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1 && [ ! -x /usr/bin/chromium ]; then
  echo "ci/setup.sh: installing chromium" >&2
  apt_install chromium
fi
if [ ! -d ci/browser/node_modules/playwright-core ]; then
  echo "ci/setup.sh: installing playwright-core" >&2
  (cd ci/browser && npm ci --no-audit --no-fund --silent)
fi
# The workflow linter (action-validator: workflow and action files against their JSON schemas).
if [ ! -d ci/lint/node_modules/@action-validator/cli ]; then
  echo "ci/setup.sh: installing the workflow linter" >&2
  (cd ci/lint && npm ci --no-audit --no-fund --silent)
fi
# A third-party GitHub client (PyGithub) checks mock-forge's API shapes.
if ! python3 -c 'import github' >/dev/null 2>&1; then
  echo "ci/setup.sh: installing PyGithub" >&2
  python3 -m pip install --quiet --disable-pip-version-check PyGithub
fi
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  echo "ci/setup.sh: running as root needs a 'postgres' system user (initdb refuses root)" >&2
  exit 1
fi
