"""What a guest is likely to want, and why: a frequency and co-occurrence model. Pure: no I/O.

A stay is a set of items ("room:sup", "extra:spa", "pref:floor=high"). An item scores by how
often the guest had it (their own stays) and by how often guests who had something the guest
had also had it (similar guests' stays). Each suggestion keeps the evidence it came from, so
the desk can say why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

OWN_WEIGHT, SIMILAR_WEIGHT, POPULAR_WEIGHT = 0.7, 0.3, 0.1
MIN_SUPPORT = 2  # an item seen with another fewer times than this says nothing


@dataclass(frozen=True, slots=True)
class Suggestion:
    item: str
    score: float
    own: int  # how many of the guest's stays had it
    stays: int  # of how many
    because: str  # the guest's item that similar guests had it with ("" when none)
    together: int  # in how many of those guests' stays both appear


def recommend(
    own: Sequence[frozenset[str]], others: Sequence[frozenset[str]], *, top: int = 3
) -> list[Suggestion]:
    """The ``top`` items for a guest with stays ``own``, learning from everyone's ``others``."""
    had = Counter(item for stay in own for item in stay)
    seen = Counter(item for stay in others for item in stay)
    pairs = Counter((a, b) for stay in others for a in stay for b in stay if a != b)
    candidates = set(had) | set(seen)
    scored = [
        _score(item, had=had, stays=len(own), seen=seen, pairs=pairs, total=len(others))
        for item in candidates
    ]
    scored.sort(key=lambda s: (-s.score, s.item))
    return [s for s in scored if s.score > 0][:top]


def _score(
    item: str,
    *,
    had: Counter[str],
    stays: int,
    seen: Counter[str],
    pairs: Counter[tuple[str, str]],
    total: int,
) -> Suggestion:
    own = had[item] / stays if stays else 0.0
    best, because, together = 0.0, "", 0
    for mine in had:
        both = pairs[(mine, item)]
        if mine != item and both >= MIN_SUPPORT and both / seen[mine] > best:
            best, because, together = both / seen[mine], mine, both
    popular = seen[item] / total if total else 0.0
    score = OWN_WEIGHT * own + SIMILAR_WEIGHT * best + POPULAR_WEIGHT * popular
    return Suggestion(item, round(score, 4), had[item], stays, because, together)


def hit_rate(histories: Sequence[Sequence[frozenset[str]]], *, top: int = 3) -> tuple[float, int]:
    """Hold out each guest's last stay, recommend from the rest: the share where a suggestion was had."""
    trials = [h for h in histories if len(h) >= 2]
    everyone = [stay for h in histories for stay in h]
    hits = 0
    for history in trials:
        held_out, past = history[-1], history[:-1]
        others = list(everyone)
        others.remove(held_out)  # the held-out stay teaches nothing
        suggested = {s.item for s in recommend(past, others, top=top)}
        hits += bool(suggested & held_out)
    return (hits / len(trials) if trials else 0.0), len(trials)
