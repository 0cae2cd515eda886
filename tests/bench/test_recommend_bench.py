"""How often the recommendation model names something a guest then had, on held-out stays.

Synthetic history with a fixed seed: 600 guests of four kinds (business, family, leisure,
wellness), each kind with its likely room, extras and preferences, each guest with a habit of
their own and noise. For every guest with two or more stays the last stay is held out; the model
sees the rest (and everyone else's stays) and names three items. A hit is a named item the
held-out stay had. The popularity baseline names the three most common items for everyone.
Run: ``./dev.sh bench -k recommend``.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest

from cloud.loyalty.recommend import hit_rate

pytestmark = pytest.mark.bench
KINDS = {
    "business": ["room:std", "extra:laundry", "extra:late_checkout", "pref:floor=high"],
    "family": ["room:sup", "extra:restaurant", "pref:floor=low", "extra:minibar"],
    "leisure": ["room:sup", "extra:restaurant", "extra:transport", "pref:view"],
    "wellness": ["room:ste", "extra:spa", "extra:restaurant", "pref:floor=high"],
}
EVERYTHING = sorted({item for items in KINDS.values() for item in items})


def histories(seed: int = 7, guests: int = 600) -> list[list[frozenset[str]]]:
    rng = random.Random(seed)
    made = []
    for _ in range(guests):
        kind = KINDS[rng.choice(sorted(KINDS))]
        habit = rng.choice(EVERYTHING)
        stays = []
        for _stay in range(rng.choice((1, 1, 2, 3, 4, 5))):
            items = {item for item in kind if rng.random() < 0.55}
            items |= {habit} if rng.random() < 0.8 else set()
            items |= {rng.choice(EVERYTHING)} if rng.random() < 0.3 else set()
            stays.append(frozenset(items))
        made.append(stays)
    return made


def popularity_rate(history: list[list[frozenset[str]]], top: int = 3) -> float:
    common = {item for item, _n in Counter(i for h in history for s in h for i in s).most_common(top)}
    trials = [h for h in history if len(h) >= 2]
    return sum(bool(common & h[-1]) for h in trials) / len(trials)


def test_recommendations_hit_held_out_stays_more_often_than_popularity() -> None:
    data = histories()
    rate, trials = hit_rate(data, top=3)
    baseline = popularity_rate(data)
    top1, _ = hit_rate(data, top=1)
    print(
        f"\nrecommendations on {trials} held-out stays: hit rate top-3 {rate:.1%}, top-1 {top1:.1%}; "
        f"popularity baseline top-3 {baseline:.1%}"
    )
    assert rate > baseline
