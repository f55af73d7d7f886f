#!/usr/bin/env bash
# Installs everything the test suite needs from the project's own files, then runs the whole suite.
# Debian packages (chromium for the browser tests, CJK fonts for screenshots, PostgreSQL where none
# answers on 127.0.0.1:5432) are installed when running as root; a venv in .venv holds the rest.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  need=()
  command -v chromium >/dev/null || need+=(chromium chromium-driver)
  [ -d /usr/share/fonts/opentype/noto ] || need+=(fonts-noto-cjk)
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    command -v pg_ctlcluster >/dev/null || need+=(postgresql)
  fi
  if [ ${#need[@]} -gt 0 ]; then
    apt-get update -q && apt-get install -y -q "${need[@]}"
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && command -v pg_ctlcluster >/dev/null; then
    bash scripts/start-postgres.sh || echo "PostgreSQL could not be started; its tests will be skipped with a reason"
  fi
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e ".[test]"
# Two workers (the machines have 2 cores), whole test files per worker so module fixtures are built once.
exec .venv/bin/python -m pytest -n 2 --dist loadfile --durations=25 "$@"
