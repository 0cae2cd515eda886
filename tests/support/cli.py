"""``posada ARGS`` run in the test's own process: its exit code and what it printed.

A new interpreter per command costs seconds of imports; the entry point itself is checked once
by a test that does start one (tests/posada/test_cli.py)."""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass

from posada.cli import main


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str


def run_posada(*args: str) -> Done:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as stop:  # as the interpreter does: a message goes to stderr with status 1
            code = stop.code if isinstance(stop.code, int) else 1
            if isinstance(stop.code, str):
                print(stop.code, file=sys.stderr)
    return Done(code, out.getvalue(), err.getvalue())
