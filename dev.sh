#!/usr/bin/env bash
# Posada developer entry point: sets up .venv on first use, then runs a task.
#   ./dev.sh demo [--seconds N]   a living hotel on embedded defaults
#   ./dev.sh test [pytest args]   the whole suite
#   ./dev.sh unit [pytest args]   the fast lane: tests that need no service or browser (-m unit)
#   ./dev.sh bench                benchmarks (print figures)
#   ./dev.sh lint                 ruff + import contracts (lint-imports) + mypy
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv
stamp="$VENV/.installed-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip uv
    "$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" -e '.[dev]'
    rm -f "$VENV"/.installed-* && touch "$stamp"
fi
task="${1:-help}"; shift || true
case "$task" in
    demo)  exec "$VENV/bin/posada" demo "$@" ;;
    test)  exec "$VENV/bin/python" -m pytest -n "${POSADA_TEST_WORKERS:-2}" --dist loadgroup -m "not bench" "$@" ;;
    unit)  exec "$VENV/bin/python" -m pytest -n "${POSADA_TEST_WORKERS:-2}" --dist loadgroup -m unit "$@" ;;
    bench) exec "$VENV/bin/python" -m pytest -m bench -s -p no:xdist tests/bench "$@" ;;
    lint)  "$VENV/bin/ruff" check . && "$VENV/bin/lint-imports" --no-logo && exec "$VENV/bin/mypy" mqtt edge cloud posada provisioning dashboards ;;
    *)     sed -n '2,7p' "$0"; exit 2 ;;
esac
