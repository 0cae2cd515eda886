"""Domain errors of property set-up: a document refused whole, with every problem and its path."""

from __future__ import annotations

from dataclasses import dataclass

from cloud.core.errors import DomainError, NotFound


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a document: where (``rooms[12].floor``) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SetupInvalid(DomainError):
    status = 422
    type_ = "/problems/setup/invalid"
    title = "The property document is not valid"

    def __init__(self, problems: list[Problem]) -> None:
        count = len(problems)
        super().__init__(
            f"{count} problem{'s' if count != 1 else ''}; nothing was applied",
            problems=[{"path": p.path, "message": p.message} for p in problems],
        )
        self.problems = problems


class UnknownProperty(NotFound):
    type_ = "/problems/setup/not-found"


class PropertyExists(DomainError):
    status = 409
    type_ = "/problems/setup/exists"
    title = "The property exists already"
