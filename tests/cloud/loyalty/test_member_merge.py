"""Two profiles of one guest merged by the registry: their memberships merge to the point, on both
databases; a stay or action credited to both is refused, and the refusal changes nothing."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.auth.models import AuditEntry
from cloud.core.db import make_sessionmaker
from cloud.core.errors import Conflict
from cloud.guests import lifecycle, registry
from cloud.guests.crypto import keys_from
from cloud.guests.models import Guest
from cloud.guests.schemas import GuestInput
from cloud.guests.settings import GuestSettings
from cloud.guests.vault import Vault
from cloud.loyalty import ledger, membership
from cloud.loyalty.ledger import Posting
from cloud.loyalty.merge import MembershipMerge
from cloud.loyalty.models import Entry, Lot, Member, MemberProfile, Settlement, Survey
from cloud.loyalty.rules import EarningRules
from cloud.setup.demo import seed_demo
from tests.cloud.loyalty.chain import Chain
from tests.cloud.loyalty.stays import book, stay
from tests.support.db import migrated_engine

NOW = datetime(2027, 3, 1, 9, tzinfo=UTC)
RULES = EarningRules()
SETTINGS = GuestSettings(guest_keys=f"k1={base64.b64encode(os.urandom(32)).decode()}")
HOOKS = [MembershipMerge()]
OUTSTANDING = Settlement.kind != "redeem_in"  # what the property owes: issued, less taken back or spent


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    engine = migrated_engine(db_url)
    maker = make_sessionmaker(engine)
    with maker() as s:
        seed_demo(s)
        yield s
        s.rollback()
    engine.dispose()


@pytest.fixture
def vault() -> Vault:
    cipher, index = keys_from(SETTINGS)
    return Vault(cipher=cipher, index=index)


def profile(session: Session, vault: Vault, name: str, email: str) -> Guest:
    return registry.register(
        session, vault, actor="test", site="hotel", data=GuestInput(name=name, email=email)
    )


def member_of(session: Session, guest: Guest) -> Member:
    member = membership.member_of_guest(session, guest.id)
    assert member is not None
    return member


def pending_stay(session: Session, member: Member, reservation: str, points: int) -> Lot:
    lot = ledger.new_lot(
        session,
        member,
        site="hotel",
        action="stay",
        state="pending",
        points=points,
        reservation_id=reservation,
        expires_on=None,
        now=NOW,
    )
    ledger.post(
        session,
        member,
        lot,
        Posting("pending", "pending", points, "hotel", "stay", "test", reservation),
        rules=RULES,
        now=NOW,
    )
    return lot


def survey_of(session: Session, guest: Guest, reservation: str) -> Survey:
    survey = Survey(
        id=reservation[:20] + "SURVEY",
        token_hash=reservation.ljust(64, "0"),
        reservation_id=reservation,
        guest_id=guest.id,
        site="hotel",
        kind="post_stay",
        language="en",
        channel="email",
        created_at=NOW,
    )
    session.add(survey)
    session.flush()
    return survey


def test_merged_profiles_merge_their_memberships_with_nothing_lost_or_counted_twice(
    session: Session, vault: Vault
) -> None:
    keep = profile(session, vault, "Ana Garcia", "ana@example.com")
    other = profile(session, vault, "A. Garcia", "ana.garcia@example.com")
    kept, gone = (
        membership.enroll(session, actor="test", guest=keep),
        membership.enroll(session, actor="test", guest=other),
    )
    assert kept.id != gone.id
    ledger.award(
        session, kept, site="hotel", points=300, action="welcome", actor="test", rules=RULES, now=NOW
    )
    pending_stay(session, kept, "01J00000000000000000RES001", 500)
    ledger.redeem(
        session,
        kept.id,
        site="hotel",
        kind="service",
        points=100,
        actor="test",
        reservation_id=None,
        note="",
        rules=RULES,
        now=NOW,
    )
    ledger.award(
        session, gone, site="hotel", points=2500, action="survey:S1", actor="test", rules=RULES, now=NOW
    )
    pending_stay(session, gone, "01J00000000000000000RES002", 700)
    annex = profile(session, vault, "Ana G.", "ana.g@example.com")  # the same person's third profile
    session.add(MemberProfile(guest_id=annex.id, member_id=gone.id, site="hotel", linked_at=NOW))
    survey = survey_of(session, other, "01J00000000000000000RES002")
    gone_entries = list(
        session.scalars(select(Entry.id).where(Entry.member_id == gone.id).order_by(Entry.id))
    )
    gone_lots = set(session.scalars(select(Lot.id).where(Lot.member_id == gone.id)))
    owed_before = session.scalar(
        select(func.sum(Settlement.points)).where(Settlement.site == "hotel", OUTSTANDING)
    )
    assert (kept.tier, gone.tier) == ("member", "silver")

    lifecycle.merge(session, vault, actor="test", keep=keep, other=other, settings=SETTINGS, hooks=HOOKS)

    assert membership.member_of_guest(session, keep.id) is kept
    assert membership.member_of_guest(session, other.id) is None
    assert membership.member_of_guest(session, annex.id) is kept
    assert (kept.available, kept.pending, kept.qualifying) == (200 + 2500, 500 + 700, 300 + 2500)
    assert kept.tier == "silver"
    assert (gone.available, gone.pending, gone.qualifying, gone.merged_into) == (0, 0, 0, kept.id)
    moved = list(
        session.scalars(select(Entry.id).where(Entry.id.in_(gone_entries), Entry.member_id == kept.id))
    )
    assert sorted(moved) == gone_entries  # the same entries, same ids and order: history kept
    assert set(session.scalars(select(Lot.id).where(Lot.member_id == kept.id))) >= gone_lots
    assert session.scalar(select(func.count()).select_from(Entry).where(Entry.member_id == gone.id)) == 0
    by_bucket = dict(
        session.execute(
            select(Entry.bucket, func.sum(Entry.points))
            .where(Entry.member_id == kept.id)
            .group_by(Entry.bucket)
        ).all()
    )
    assert by_bucket == {"available": kept.available, "pending": kept.pending}
    owed_after = session.scalar(
        select(func.sum(Settlement.points)).where(Settlement.site == "hotel", OUTSTANDING)
    )
    assert owed_after == owed_before == kept.available  # the property's sub-ledger unchanged, whole
    assert (
        session.scalar(select(func.count()).select_from(Settlement).where(Settlement.member_id == gone.id))
        == 0
    )
    assert survey.guest_id == keep.id
    audited = session.scalars(select(AuditEntry).where(AuditEntry.action == "loyalty.merge")).one()
    assert audited.entity_id == kept.id
    assert audited.detail["merged"] == gone.id and audited.detail["entries"] == gone_entries
    assert audited.detail["moved"]["available"] == 2500


def test_a_stay_credited_to_both_memberships_refuses_the_merge_and_changes_nothing(
    session: Session, vault: Vault
) -> None:
    keep = profile(session, vault, "Ana Garcia", "ana@example.com")
    other = profile(session, vault, "A. Garcia", "ana.garcia@example.com")
    kept, gone = (
        membership.enroll(session, actor="test", guest=keep),
        membership.enroll(session, actor="test", guest=other),
    )
    for member in (kept, gone):
        ledger.award(
            session, member, site="hotel", points=50, action="welcome", actor="test", rules=RULES, now=NOW
        )
    session.commit()
    with pytest.raises(Conflict, match="same stay or action"):
        lifecycle.merge(session, vault, actor="test", keep=keep, other=other, settings=SETTINGS, hooks=HOOKS)
    session.rollback()
    assert other.merged_into is None and vault.open(other) is not None
    assert (kept.available, gone.available, gone.merged_into) == (50, 50, None)
    assert membership.member_of_guest(session, other.id) is gone


def test_a_membership_held_only_by_the_duplicate_passes_to_the_kept_profile(
    session: Session, vault: Vault
) -> None:
    keep = profile(session, vault, "Ana Garcia", "ana@example.com")
    other = profile(session, vault, "A. Garcia", "ana.garcia@example.com")
    gone = membership.enroll(session, actor="test", guest=other)
    ledger.award(session, gone, site="hotel", points=80, action="welcome", actor="test", rules=RULES, now=NOW)
    lifecycle.merge(session, vault, actor="test", keep=keep, other=other, settings=SETTINGS, hooks=HOOKS)
    assert member_of(session, keep) is gone and gone.available == 80 and gone.merged_into is None
    assert membership.member_of_guest(session, other.id) is None


def test_the_registry_s_merge_on_the_app_merges_the_memberships(chain: Chain) -> None:
    desk = "front_desk-hotel"
    one = {"guest_name": "Paula Ruiz", "guest_email": "paula.one@example.com"}
    two = {"guest_name": "Paula Ruiz", "guest_email": "paula.two@example.com"}
    first = book(chain, desk, "hotel", arrival=date(2027, 5, 3), nights=1, **one)
    second = book(chain, desk, "hotel", arrival=date(2027, 5, 10), nights=1, **two)
    assert first["guest_id"] != second["guest_id"]  # a name alone is a duplicate to merge, not a match
    kept = chain.call(desk, "POST", "/api/v1/loyalty/members", 201, json={"guest_id": first["guest_id"]})
    gone = chain.call(desk, "POST", "/api/v1/loyalty/members", 201, json={"guest_id": second["guest_id"]})
    first = stay(chain, "hotel", arrival=date(2027, 5, 17), nights=1, **one)  # each earns as a member
    second = stay(chain, "hotel", arrival=date(2027, 5, 24), nights=2, **two)
    kept = chain.call(desk, "GET", f"/api/v1/loyalty/members/{kept['id']}")
    gone = chain.call(desk, "GET", f"/api/v1/loyalty/members/{gone['id']}")
    assert kept["available"] > 0 and gone["available"] > 0
    chain.call(
        desk, "POST", f"/api/v1/guests/{first['guest_id']}/merge", json={"other_id": second["guest_id"]}
    )
    after = chain.call(desk, "GET", f"/api/v1/loyalty/guests/{first['guest_id']}/member")
    assert after["id"] == kept["id"]
    assert (after["available"], after["qualifying"]) == (
        kept["available"] + gone["available"],
        kept["qualifying"] + gone["qualifying"],
    )
    entries = chain.call(desk, "GET", f"/api/v1/loyalty/members/{kept['id']}/entries")
    assert {e["reservation_id"] for e in entries} >= {first["id"], second["id"]}
    chain.call(desk, "GET", f"/api/v1/loyalty/members/{gone['id']}", 404)  # no profile holds it now
    with chain.app.services.sessions() as session:
        emptied = session.get(Member, gone["id"])
        assert emptied is not None
        assert (emptied.available, emptied.pending, emptied.merged_into) == (0, 0, kept["id"])
