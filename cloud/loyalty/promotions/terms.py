"""What a chain promotion means at a property, and what an offer code is: pure, no I/O.

A promotion's nightly price is derived from each property's base plan (a percentage or an amount
off, or a fixed price), only on its nights (dates and weekdays). An offer code is checked in one
order and every refusal reads the same to the visitor, so codes cannot be told apart by probing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from cloud.catalog.pricing import PROMOTION_PLAN_PREFIX, PriceRule, night_rule

PLAN_PREFIX = PROMOTION_PLAN_PREFIX  # property documents cannot name such a plan
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L: read aloud and typed from paper
CODE_CHARS = re.compile(r"^[A-Z0-9]{4,24}$")
REFUSED = "This code cannot be used for this hotel and these dates."


def plan_code(promotion_code: str) -> str:
    return PLAN_PREFIX + promotion_code


def is_promotion_plan(code: str) -> bool:
    return code.startswith(PLAN_PREFIX)


def adjusted(base_minor: int, *, rule: str, value: int) -> int:
    """The promotion's nightly price from the base plan's (never below zero; rounded half up)."""
    if rule == "percent_off":
        return max(base_minor * (100 - value) + 50, 0) // 100
    if rule == "amount_off":
        return max(base_minor - value, 0)
    if rule == "fixed":
        return value
    raise ValueError(f"unknown price rule {rule!r}")


def derived(
    base: Sequence[PriceRule], *, start: date, end: date, weekdays: frozenset[int] | None
) -> list[PriceRule]:
    """The base plan's nightly prices on the promotion's nights [start, end), as rules of one
    weekday each over runs of weeks with the same base price: no two of them ever apply to the
    same night, so the base plan's order of precedence is kept exactly."""
    found: list[PriceRule] = []
    for day in range(7):
        if weekdays is not None and day not in weekdays:
            continue
        first = start + timedelta(days=(day - start.weekday()) % 7)
        run: tuple[PriceRule, date] | None = None
        night = first
        while night < end or run is not None:
            rule = night_rule(base, night) if night < end else None
            if run is not None and rule != run[0]:
                found.append(
                    replace(
                        run[0],
                        season_start=run[1],
                        season_end=night - timedelta(days=6),
                        weekdays=frozenset({day}),
                    )
                )
                run = None
            if rule is not None and run is None:
                run = (rule, night)
            if night >= end:
                break
            night += timedelta(days=7)
    return found


def normal(code: str) -> str:
    """A code as typed (any case, spaces and dashes) in its one spelling; "" when it cannot be one."""
    text = re.sub(r"[\s-]", "", code or "")[:64].upper()
    return text if CODE_CHARS.match(text) else ""


def digest(secret: str, code: str) -> str:
    """The stored form of a code: keyed, so a copy of the database does not give the codes away."""
    key = hmac.new(secret.encode(), b"posada offer codes v1", hashlib.sha256).digest()
    return hmac.new(key, normal(code).encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    """Ten characters from a 30-letter alphabet (49 bits), shown as two groups of five."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


@dataclass(frozen=True, slots=True)
class CodeFacts:
    """What the database holds about a code (all None/False when it is unknown)."""

    known: bool
    promotion_active: bool
    site_active: bool
    plan: str | None
    stay_from: date | None
    stay_until: date | None
    valid_until: date | None
    uses_left: int


def usable(facts: CodeFacts, *, today: date, arrival: date, departure: date, plan: str | None) -> bool:
    """Whether the code unlocks its promotion for this stay (and, if given, this plan)."""
    checks = (
        facts.known,
        facts.promotion_active and facts.site_active,
        facts.valid_until is not None and today <= facts.valid_until,
        facts.stay_from is not None and facts.stay_from <= arrival,
        facts.stay_until is not None and departure <= facts.stay_until,
        facts.uses_left > 0,
        plan is None or plan == facts.plan,
    )
    return all(checks)
