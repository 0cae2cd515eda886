#!/usr/bin/env bash
# Posada developer entry point: checks the system packages, installs .venv from uv.lock, runs a task.
#   ./dev.sh demo [--seconds N]   a living hotel on embedded defaults
#   ./dev.sh test [pytest args]   the whole suite (starts its own PostgreSQL and Mosquitto)
#   ./dev.sh unit [pytest args]   the fast lane: tests that need no service or browser (-m unit)
#   ./dev.sh bench                benchmarks (print figures)
#   ./dev.sh faults [--quick]     the fault-injection table (root: network namespaces; minutes)
#   ./dev.sh lint                 ruff, import contracts, mypy, firmware stubtest, uv.lock up to date
set -euo pipefail
cd "$(dirname "$0")"
VENV=.venv
UV_VERSION=0.13.9  # the installer that reads uv.lock; kept in .uv/, apart from .venv
# Compiled modules are cached (__pycache__): without the cache every process, each test worker and
# every gateway the demo starts compiles all it imports again (more than half of a test run's imports).
unset PYTHONDONTWRITEBYTECODE

task="${1:-help}"; shift || true
case "$task" in
    demo)             group=demo; env=demo; extras=(--extra cloud --extra edge --inexact) ;;
    test|unit|bench|faults)  group=test; env=dev;  extras=(--extra dev) ;;
    lint)             group=demo; env=dev;  extras=(--extra dev) ;;  # the demo's group: python3-venv
    *)                sed -n '2,8p' "$0"; exit 2 ;;
esac

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Posada needs Python 3.11 or newer as python3 (found: $(python3 --version 2>&1 || echo none))" >&2
    exit 1
fi

python=$(python3 -c 'import sys; print(sys.executable)')  # the real path: uv would take a shim for another

# System packages (system-packages.txt): installed here when root, otherwise the command to run.
scripts/system-packages --install "$group"

# uv itself, pinned, in its own small venv (a sync of .venv removes whatever uv.lock does not list).
if [ ! -x .uv/bin/uv ] || [ "$(.uv/bin/uv --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
    echo "setting up uv $UV_VERSION in .uv/ ..." >&2
    python3 -m venv .uv
    .uv/bin/python -m pip install --quiet --disable-pip-version-check "uv==$UV_VERSION"
fi

# .venv from uv.lock (the checkout installed editable); skipped while uv.lock and the task's extras
# are unchanged. The demo installs only the cloud and the edge and keeps what a test run added.
stamp="$VENV/.synced-$env-$(cat uv.lock pyproject.toml | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
    echo "installing Python packages from uv.lock into $VENV (${extras[*]}) ..." >&2
    UV_PROJECT_ENVIRONMENT="$VENV" UV_PYTHON_DOWNLOADS=never \
        .uv/bin/uv sync --locked --python "$python" "${extras[@]}"
    rm -f "$VENV"/.synced-"$env"-* && touch "$stamp"
fi

# The lanes' scratch files in RAM where the machine has room for them: SQLite databases and the
# gateways' outboxes sync every commit to disk (5 ms each on this machine kind's disk, 0.03 ms in
# RAM), which the tests do not need (the scratch PostgreSQL runs without fsync for the same reason).
# The benchmarks keep the disk: their figures are measured as deployed. Passing tests' folders are
# removed at the end (tmp_path_retention_policy), so a run leaves only what failed.
lane_tmp=()
if [[ "$task" == test || "$task" == unit ]] && [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] \
        && [ "$(df -Pk /dev/shm | awk 'NR==2 {print $4}')" -gt 4000000 ]; then
    export TMPDIR=/dev/shm/posada-tests
    mkdir -p "$TMPDIR" && chmod 1777 "$TMPDIR"
    lane_tmp=(-o tmp_path_retention_policy=failed)
fi

case "$task" in
    demo)  exec "$VENV/bin/posada" demo "$@" ;;
    # The lanes leave out the folders that hold none of their tests (importing them costs seconds).
    test)  exec "$VENV/bin/python" -m pytest -n "${POSADA_TEST_WORKERS:-2}" --dist loadfile -m "not bench" \
               --durations=25 "${lane_tmp[@]}" --ignore=tests/bench "$@" ;;
    unit)  exec "$VENV/bin/python" -m pytest -n "${POSADA_TEST_WORKERS:-2}" --dist loadfile -m unit \
               "${lane_tmp[@]}" --ignore=tests/bench --ignore=tests/browser "$@" ;;
    bench) POSADA_TEST_PG_DURABLE=1 exec "$VENV/bin/python" -m pytest -m bench -s -p no:xdist tests/bench "$@" ;;
    faults) exec "$VENV/bin/python" -m tests.faults "$@" ;;  # real processes in namespaces: never in a lane
    lint)  .uv/bin/uv lock --check --quiet \
               && "$VENV/bin/ruff" check . && "$VENV/bin/lint-imports" --no-logo \
               && "$VENV/bin/mypy" mqtt edge cloud posada provisioning dashboards node \
               && stubs=(firmware/doornode/*.pyi) && stubs=("${stubs[@]%.pyi}") \
               && exec "$VENV/bin/python" -m mypy.stubtest "${stubs[@]//\//.}" ;;  # the firmware's .pyi match it
esac
