"""What a survey asks and what an answer must be: scores per department, free text, low scores.

Pure: no I/O. An answer from the guest's browser is hostile input, checked here field by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

DEPARTMENTS = ("reception", "housekeeping", "breakfast", "maintenance", "overall")
KINDS = ("mid_stay", "post_stay")
LOW_SCORE = 2  # this or lower tells the manager
COMMENT_MAX = 2000


class BadAnswer(ValueError):
    """A survey answer that cannot be stored as it is."""


@dataclass(frozen=True, slots=True)
class Answer:
    scores: dict[str, int]
    comment: str

    @property
    def low(self) -> list[str]:
        """Departments scored at or below the alert threshold."""
        return [d for d in DEPARTMENTS if d in self.scores and self.scores[d] <= LOW_SCORE]


def check(scores: Mapping[str, object], comment: str) -> Answer:
    """Scores 1-5 for known departments (at least one), and a comment of reasonable length."""
    unknown = sorted(set(scores) - set(DEPARTMENTS))
    if unknown:
        raise BadAnswer(f"unknown departments: {', '.join(unknown)[:200]}")
    clean: dict[str, int] = {}
    for name, value in scores.items():
        if value in ("", None):
            continue
        try:
            number = int(str(value))
        except ValueError:
            raise BadAnswer(f"{name}: a score is a whole number from 1 to 5") from None
        if not 1 <= number <= 5:
            raise BadAnswer(f"{name}: a score is a whole number from 1 to 5")
        clean[name] = number
    if not clean:
        raise BadAnswer("score at least one department")
    text = comment.strip()
    if len(text) > COMMENT_MAX:
        raise BadAnswer(f"the comment is longer than {COMMENT_MAX} characters")
    return Answer(clean, text)


def mid_stay_day(arrival: date, departure: date) -> date | None:
    """The morning after arrival, for stays of three nights or more (shorter ones: none)."""
    return arrival + timedelta(days=1) if (departure - arrival).days >= 3 else None
