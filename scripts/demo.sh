#!/usr/bin/env bash
# Installs SafeRank into .venv from the project's own files and runs the demo: the shipped simulated
# county is imported into an embedded SQLite store under data/demo/, models are trained and
# backtested, the risk list is scored, demo accounts are created (their passwords are printed once),
# and the dashboard and API are served on http://127.0.0.1:8050/ until Ctrl-C.
# Extra arguments go to `saferank demo` (e.g. --port 8060, --host 0.0.0.0, --no-serve).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e .
exec .venv/bin/saferank demo "$@"
