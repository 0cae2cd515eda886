"""``posada property import FILE`` / ``posada property export SITE``: a property as one document,
against the database of the cloud's settings (``POSADA_DATABASE_URL``)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from sqlalchemy.orm import Session


def add_arguments(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    prop = sub.add_parser("property", help="a property's set-up as one YAML or JSON document")
    what = prop.add_subparsers(dest="what", required=True)
    load = what.add_parser("import", help="apply a property document (shows the changes first)")
    load.add_argument("file", help="the document, YAML or JSON ('-' reads standard input)")
    load.add_argument("--dry-run", action="store_true", help="show the changes, apply nothing")
    load.add_argument("--yes", action="store_true", help="apply without asking")
    dump = what.add_parser("export", help="write a property's document to standard output")
    dump.add_argument("site", help="the property's site slug")
    dump.add_argument("--format", choices=("yaml", "json"), default="yaml")


def run(
    args: argparse.Namespace,
    *,
    ask: Callable[[str], str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Run ``property import`` or ``export``; 0 done, 1 declined or unknown, 2 refused or unreadable."""
    ask, out, err = ask or input, out or sys.stdout, err or sys.stderr
    from cloud.core.db import make_engine, make_sessionmaker
    from cloud.core.migrate import upgrade
    from cloud.settings import load
    from cloud.setup.errors import SetupInvalid

    engine = make_engine(load().database_url)
    try:
        upgrade(engine)
        with make_sessionmaker(engine)() as session:
            if args.what == "export":
                return _export(session, args.site, fmt=args.format, out=out, err=err)
            return _import(session, args, ask=ask, out=out)
    except SetupInvalid as exc:
        print(f"{exc.detail}:", file=err)
        for problem in exc.problems:
            print(f"  {problem}", file=err)
        return 2
    except OSError as exc:
        print(f"cannot read {args.file}: {exc.strerror or exc}", file=err)
        return 2
    finally:
        engine.dispose()


def _export(session: Session, site: str, *, fmt: str, out: TextIO, err: TextIO) -> int:
    from cloud.core.errors import NotFound
    from cloud.setup import service
    from cloud.setup.formats import dumps

    try:
        doc = service.export(session, site)
    except NotFound as exc:
        print(exc.detail, file=err)
        return 1
    out.write(dumps(doc, "json" if fmt == "json" else "yaml"))
    return 0


def _import(session: Session, args: argparse.Namespace, *, ask: Callable[[str], str], out: TextIO) -> int:
    from cloud.setup import service
    from cloud.setup.parsing import parse

    raw = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    doc = parse(raw)
    diff = service.plan(session, doc)
    if diff.empty:
        print(f"{doc.property.site}: no changes", file=out)
        return 0
    for change in diff.changes:
        print(change, file=out)
    counts = diff.as_json()["counts"]
    print(
        f"{doc.property.site}: " + ", ".join(f"{n} to {action}" for action, n in sorted(counts.items())),
        file=out,
    )
    if args.dry_run:
        return 0
    if not args.yes and ask("Apply these changes? [y/N] ").strip().lower() not in ("y", "yes"):
        print("nothing applied", file=out)
        return 1
    service.apply(session, doc, f"cli:{getpass.getuser()}")  # checked again: all or nothing
    session.commit()
    print("applied", file=out)
    return 0
