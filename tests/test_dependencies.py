"""Every third-party module a deployable imports is declared in pyproject.toml, in its own extra.

A module that only arrives as someone else's dependency can vanish with their next release, and a
deployable installed alone (the edge without the cloud's libraries) must find what it imports.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = {"mqtt", "edge", "cloud", "posada", "provisioning", "dashboards", "firmware", "tests"}
# Each package and the extras that install it (mqtt is in every one: the base dependencies).
DEPLOYABLES = {
    "mqtt": (),
    "edge": ("edge",),
    "cloud": ("cloud",),
    "provisioning": ("provision",),
    "dashboards": ("provision",),
    "posada": ("cloud", "edge", "provision"),  # the command composes them and imports each lazily
    "tests": ("dev",),
}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def _project() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]  # type: ignore[no-any-return]


def declared(extras: tuple[str, ...]) -> set[str]:
    """The distributions the extras name, through posada[...] self-references and the base."""
    project = _project()
    optional: dict[str, list[str]] = project["optional-dependencies"]  # type: ignore[assignment]
    names: set[str] = set()
    pending, seen = [*project["dependencies"]], set()  # type: ignore[misc]
    pending += [req for extra in extras for req in optional[extra]]
    while pending:
        requirement = pending.pop()
        match = re.match(r"\s*([A-Za-z0-9._-]+)\s*(?:\[([^\]]*)\])?", requirement)
        assert match, f"unreadable requirement {requirement!r}"
        name = _normal(match.group(1))
        if name == "posada":
            for extra in (e.strip() for e in (match.group(2) or "").split(",")):
                if extra and extra not in seen:
                    seen.add(extra)
                    pending += optional[extra]
        else:
            names.add(name)
    return names


def imported(package: str) -> dict[str, Path]:
    """Top-level modules the package's files import (absolute imports), and one file for each."""
    found: dict[str, Path] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_bytes(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                found.setdefault(module.split(".")[0], path)
    return found


def _local(module: str) -> bool:
    """A module the tests put on sys.path themselves (firmware files run under MicroPython too)."""
    for folder in ("tests", "firmware"):
        base = ROOT / folder
        if any(base.rglob(f"{module}.py")) or any(base.rglob(f"{module}/__init__.py")):
            return True
    return False


@pytest.mark.parametrize("package", sorted(DEPLOYABLES))
def test_every_third_party_import_is_declared_in_its_extra(package: str) -> None:
    allowed = declared(DEPLOYABLES[package])
    providers = importlib.metadata.packages_distributions()
    problems = []
    for module, where in sorted(imported(package).items()):
        if module in sys.stdlib_module_names or module in FIRST_PARTY or module == "__future__":
            continue
        dists = {_normal(d) for d in providers.get(module, [])}
        if not dists:
            if not _local(module):
                problems.append(f"{module} ({where.relative_to(ROOT)}): no installed distribution has it")
        elif not dists & allowed:
            extras = ", ".join(DEPLOYABLES[package]) or "the base dependencies"
            problems.append(f"{module} ({where.relative_to(ROOT)}): declare {' or '.join(sorted(dists))} "
                            f"in {extras}")
    assert not problems, "\n".join(problems)


def test_the_extras_name_no_unknown_extra() -> None:
    optional = _project()["optional-dependencies"]
    assert isinstance(optional, dict)
    for extras in DEPLOYABLES.values():
        assert set(extras) <= set(optional)
    assert declared(("dev",)) >= declared(("cloud", "edge", "provision"))  # the tests see everything
