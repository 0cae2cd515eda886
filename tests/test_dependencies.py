"""Every third-party module a deployable imports is declared in pyproject.toml, in its own extra.

A module that only arrives as someone else's dependency can vanish with their next release, and a
deployable installed alone (the edge without the cloud's libraries) must find what it imports.
"""

from __future__ import annotations

import importlib.metadata
import re
import sys
import tomllib
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = {"mqtt", "edge", "cloud", "node", "posada", "provisioning", "dashboards", "firmware", "tests"}
# Each package and the extras that install it (mqtt is in every one: the base dependencies).
DEPLOYABLES = {
    "mqtt": (),
    "edge": ("edge",),
    "cloud": ("cloud",),
    "node": ("cloud",),  # the property node runs on the cloud's libraries (no extra of its own)
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


IMPORT_LINE = re.compile(r"^[ \t]*(?:import[ \t]+([\w.]+(?:[ \t]*,[ \t]*[\w.]+)*)"
                         r"|from[ \t]+([\w.]+)[ \t]+import\b)", re.MULTILINE)


def imported(package: str) -> dict[str, Path]:
    """Top-level modules the package's files import (absolute imports), and one file for each.

    Read line by line, not through ``ast`` (ten times faster over the tests): an import statement
    starts its line, and the module it names is on that line even when the names run on."""
    found: dict[str, Path] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        for match in IMPORT_LINE.finditer(path.read_text(encoding="utf-8")):
            modules = match.group(1).split(",") if match.group(1) else [match.group(2)]
            for module in (m.strip() for m in modules):
                if not module.startswith("."):  # relative: the package's own
                    found.setdefault(module.split(".")[0], path)
    return found


@cache
def _local_modules() -> frozenset[str]:
    """Modules the tests put on sys.path themselves (firmware files run under MicroPython too)."""
    names: set[str] = set()
    for folder in ("tests", "firmware"):
        for path in (ROOT / folder).rglob("*.py"):
            names.add(path.parent.name if path.name == "__init__.py" else path.stem)
    return frozenset(names)


def _local(module: str) -> bool:
    return module in _local_modules()


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
