"""The demo property, loaded from ``demo-hotel.yaml`` (site ``hotel`` in Madrid, floors f1 and f2
of ten rooms each, three types, two rate plans)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from cloud.catalog.models import Property
from cloud.setup import service
from cloud.setup.exporting import find_property
from cloud.setup.parsing import parse

DEMO_FILE = Path(__file__).with_name("demo-hotel.yaml")


def seed_demo(session: Session) -> Property:
    """Create the demo property once (idempotent by slug); returns it."""
    existing = find_property(session, "hotel")
    if existing is not None:
        return existing
    service.apply(session, parse(DEMO_FILE.read_bytes()), "system:demo")
    prop = find_property(session, "hotel")
    assert prop is not None
    return prop
