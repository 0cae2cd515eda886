"""PostgreSQL's dimension sums (migration reports_0006) against the rows they sum: after a random mix
of the writes the desk, billing, the channels, loyalty and the booking engine make (bookings,
check-ins, cancellations, no-shows, room moves, rooms re-typed, charges posted, refunds settled,
plans and prices changed, channels and tiers and group blocks assigned, reservations deleted), the
KPI report split by every dimension and read from the sums equals the one read from the rows (the
row scan is the oracle), folded or not; a report read right after a write, before any worker
folded the writers' marks, is exact; writes committing while folds run lose nothing; and the
migration's backfill sums what was there before."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from cloud.billing.models import Charge, Folio, Payment
from cloud.catalog.models import Floor, Property, RatePlan, Room, RoomType
from cloud.core.db import make_engine, make_sessionmaker
from cloud.core.migrate import alembic_config, upgrade
from cloud.guests.models import Guest
from cloud.guestweb.models import GuestHold
from cloud.reports import day_sums
from cloud.reports.definitions import Grain
from cloud.reports.dimensions import Dimension
from cloud.reports.models import DimMark, DimSum, RatePlanUsage
from cloud.reports.service import Query, kpis
from cloud.reservations.groups.models import GroupBlock
from cloud.reservations.models import Reservation, ReservationNight, RoomAllocation
from tests.cloud.reports import rows
from tests.cloud.reports.rows import END, START

SITES = ("north", "south")
AT = datetime(2027, 2, 1, 12, tzinfo=UTC)
SPLITS = [d for d in Dimension if d is not Dimension.NONE]
MARK = ("reservation_id, property_id, night, status, rate_plan_id, zero, room_type_id, channel, grouped, "
        "tier, nights, amount_minor, room_lines, room_net, room_gross")


@pytest.fixture(name="db")
def _db(pg_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(pg_url)
    sessions: sessionmaker[Session] = make_sessionmaker(engine)
    with sessions.begin() as s:
        _hotels(s)
    yield sessions
    engine.dispose()


def _hotels(s: Session) -> None:
    """rows.hotels, and per property a second room type, two channels, a group block, a segment on
    the flexible plan of one of them, and guests of both tiers."""
    rows.hotels(s, {site: "EUR" for site in SITES})
    s.execute(update(Property).where(Property.slug == "south").values(country="PT"))
    for prop_id, slug in s.execute(select(Property.id, Property.slug)).all():
        floor = s.scalar(select(Floor.id).where(Floor.property_id == prop_id))
        sup = RoomType(property_id=prop_id, code="sup", name="sup", max_guests=2)
        s.add(sup)
        s.flush()
        s.add_all([Room(property_id=prop_id, floor_id=floor, room_type_id=sup.id, slug=f"s{n}",
                        number=200 + n) for n in range(3)])
        for code in ("bdc", "exp"):
            s.execute(text(
                "INSERT INTO channels (property_id, code, name, kind, markup_bp, paused, hotel_code, "
                "secret_hash, calls_per_minute, commission_bp, created_at) VALUES (:p, :c, :c, 'ical', 0, "
                "false, '', :h, 20, 1500, :at)"), {"p": prop_id, "c": code, "h": f"{slug}{code}", "at": AT})
        plan = s.scalar(select(RatePlan.id).where(RatePlan.property_id == prop_id, RatePlan.code == "flex"))
        s.add(GroupBlock(id=f"B{prop_id:025d}", property_id=prop_id, name="Congress", arrival=START,
                         departure=END, release_on=START, rate_plan_id=plan))
        if slug == "north":
            s.add(RatePlanUsage(rate_plan_id=plan, usage="sale", segment="leisure"))
        for n in range(4):
            s.add(Guest(id=f"G{prop_id}{n:024d}", site=slug, tier="frequent" if n % 2 else "normal",
                        created_at=AT, updated_at=AT))
    s.flush()


def _one(s: Session, rng: random.Random, model: Any, *where: Any) -> Any:
    found = list(s.scalars(select(model).where(*where)))
    return rng.choice(found) if found else None


def _free_room(s: Session, rng: random.Random, prop_id: int, first: Any, end: Any, rid: str) -> Any:
    """A room of the property no other stay holds on any night of [first, end), if there is one."""
    taken = select(RoomAllocation.room_id).where(
        RoomAllocation.kind == "stay", RoomAllocation.reservation_id != rid,
        RoomAllocation.start_night < end, RoomAllocation.end_night > first)
    return _one(s, rng, Room, Room.property_id == prop_id, Room.id.not_in(taken))


def _extras(s: Session, rng: random.Random, rid: str) -> None:
    """What a booking may carry beyond rows.book: a room, a guest, a channel, a block, the web's mark."""
    res = s.get(Reservation, rid)
    assert res is not None
    room = _free_room(s, rng, res.property_id, res.arrival, res.departure, rid)
    if rng.random() < 0.7 and room is not None:
        s.execute(insert(RoomAllocation).values(room_id=room.id, reservation_id=rid, kind="stay",
                                                start_night=res.arrival, end_night=res.departure, note=""))
    if rng.random() < 0.6:
        guest = _one(s, rng, Guest, Guest.site == s.scalar(select(Property.slug).where(
            Property.id == res.property_id)))
        s.execute(update(Reservation).where(Reservation.id == rid).values(guest_id=guest.id))
    pick = rng.random()
    if pick < 0.3:
        _sell(s, rng, res)
    elif pick < 0.45:
        s.execute(update(Reservation).where(Reservation.id == rid).values(
            block_id=f"B{res.property_id:025d}"))
    elif pick < 0.6:
        s.execute(insert(GuestHold).values(reservation_id=rid, state="paid", pay="full", amount_minor=0,
                                           expires_at=AT, created_at=AT, releases=False, booked_online=True))


def _sell(s: Session, rng: random.Random, res: Reservation) -> None:
    channel = s.execute(text("SELECT id FROM channels WHERE property_id = :p ORDER BY random() LIMIT 1"),
                        {"p": res.property_id}).scalar_one()
    s.execute(text(
        "INSERT INTO channel_reservations (channel_id, confirmation, reservation_id, status, room_type_id, "
        "rate_plan_id, arrival, departure, guest_name_enc, total_minor, currency, detail_enc, received_at, "
        "updated_at) VALUES (:c, :conf, :r, 'booked', :t, :p, :a, :d, 'x', 0, 'EUR', 'x', :at, :at)"),
        {"c": channel, "conf": f"{res.id}-{rng.randrange(10**6)}", "r": res.id, "t": res.room_type_id,
         "p": res.rate_plan_id, "a": res.arrival, "d": res.departure, "at": AT})


def _book(s: Session, rng: random.Random, n: int) -> None:
    rows.book(s, rng, n)
    _extras(s, rng, f"R{n:025d}")


def _change(s: Session, rng: random.Random, booked: int) -> str:
    """One late change of the kinds the desk, billing, the channels, loyalty and the engine make."""
    res = s.scalar(select(Reservation).order_by(Reservation.id).offset(rng.randrange(max(1, booked - 5)))
                   .limit(1))
    assert res is not None
    kind = rng.choice(["status", "cancel", "no_show", "plan", "night", "price", "move", "split", "retype",
                       "charge", "refund", "tier", "guest", "channel", "unsell", "recode", "block", "online",
                       "delete"])
    rid = res.id
    if kind == "status":
        s.execute(update(Reservation).where(Reservation.id == rid).values(
            status=rng.choice(["checked_in", "checked_out", "booked"])))
    elif kind in ("cancel", "no_show"):
        s.execute(update(Reservation).where(Reservation.id == rid).values(
            status="cancelled" if kind == "cancel" else "no_show", cancelled_at=AT))
        s.execute(delete(RoomAllocation).where(RoomAllocation.reservation_id == rid))
    elif kind == "plan":
        plans = list(s.scalars(select(RatePlan.id).where(RatePlan.property_id == res.property_id)))
        s.execute(update(Reservation).where(Reservation.id == rid).values(rate_plan_id=rng.choice(plans)))
    elif kind == "night":
        s.execute(delete(ReservationNight).where(ReservationNight.reservation_id == rid,
                                                 ReservationNight.night == res.arrival))
    elif kind == "price":  # always another price (0 now and then: a complimentary night)
        s.execute(update(ReservationNight).where(ReservationNight.reservation_id == rid).values(
            amount_minor=(ReservationNight.amount_minor + rng.choice([3000, 7000])) % 12000))
    elif kind == "move":  # the whole stay to another room (maybe of another type)
        room = _free_room(s, rng, res.property_id, res.arrival, res.departure, rid)
        if room is None or res.status in ("cancelled", "no_show"):
            return kind
        s.execute(delete(RoomAllocation).where(RoomAllocation.reservation_id == rid,
                                               RoomAllocation.start_night > res.arrival))
        mine = RoomAllocation.reservation_id == rid
        if s.scalar(select(func.count()).select_from(RoomAllocation).where(mine)):
            s.execute(update(RoomAllocation).where(mine).values(room_id=room.id))
        else:
            s.execute(insert(RoomAllocation).values(room_id=room.id, reservation_id=rid, kind="stay",
                                                    start_night=res.arrival, end_night=res.departure,
                                                    note=""))
    elif kind == "split":  # moved to another room from its second night on
        stay = _one(s, rng, RoomAllocation, RoomAllocation.reservation_id == rid)
        if stay is not None and (stay.end_night - stay.start_night).days > 1:
            middle, last = stay.start_night + timedelta(days=1), stay.end_night
            room = _free_room(s, rng, res.property_id, middle, last, rid)
            s.execute(update(RoomAllocation).where(RoomAllocation.id == stay.id).values(end_night=middle))
            if room is not None:
                s.execute(insert(RoomAllocation).values(room_id=room.id, reservation_id=rid, kind="stay",
                                                        start_night=middle, end_night=last,
                                                        note=""))
    elif kind == "retype":
        room = _one(s, rng, Room, Room.property_id == res.property_id)
        types = list(s.scalars(select(RoomType.id).where(RoomType.property_id == res.property_id)))
        s.execute(update(Room).where(Room.id == room.id).values(room_type_id=rng.choice(types)))
    elif kind == "charge":  # a room night posted late (a folio opened for it if there was none)
        folio = s.scalar(select(Folio.id).where(Folio.reservation_id == rid))
        if folio is None:
            folio = f"F{rid[1:]}"
            s.execute(insert(Folio).values(id=folio, site=s.scalar(select(Property.slug).where(
                Property.id == res.property_id)), reservation_id=rid, kind="stay", currency="EUR",
                guest_name_enc="G", guest_language="en", status="open", created_at=AT, routed_kinds=[]))
        amount = rng.choice([5000, 9000])
        s.execute(insert(Charge).values(
            id=f"L{rng.randrange(10**20):031d}", folio_id=folio, origin_folio_id=folio, payer="guest",
            kind="room_night", description="", discount=False, quantity=1, unit_minor=amount, currency="EUR",
            net_minor=amount - amount // 11, tax_minor=amount // 11, gross_minor=amount, taxes={},
            night=res.arrival + timedelta(days=rng.randrange(3)), posted_at=AT))
    elif kind == "refund":
        s.execute(update(Payment).where(Payment.status == "pending").values(status="succeeded"))
    elif kind == "tier":
        guest = _one(s, rng, Guest)
        s.execute(update(Guest).where(Guest.id == guest.id).values(
            tier="normal" if guest.tier == "frequent" else "frequent"))
    elif kind == "guest":
        guest = _one(s, rng, Guest)
        s.execute(update(Reservation).where(Reservation.id == rid).values(
            guest_id=None if rng.random() < 0.3 else guest.id))
    elif kind == "channel":  # a reservation is sold by one channel booking at most (dimensions.join)
        if s.scalar(text("SELECT count(*) FROM channel_reservations WHERE reservation_id = :r"),
                    {"r": rid}) == 0:
            _sell(s, rng, res)
    elif kind == "unsell":  # the channel's booking kept, its reservation gone from it
        s.execute(text("UPDATE channel_reservations SET reservation_id = NULL WHERE reservation_id = :r"),
                  {"r": rid})
    elif kind == "recode":
        s.execute(text("UPDATE channels SET code = code || 'x' WHERE id = (SELECT min(id) FROM channels "
                       "WHERE property_id = :p)"), {"p": res.property_id})
    elif kind == "block":
        s.execute(update(Reservation).where(Reservation.id == rid).values(
            block_id=None if res.block_id else f"B{res.property_id:025d}"))
    elif kind == "online":
        if s.get(GuestHold, rid) is None:
            s.execute(insert(GuestHold).values(reservation_id=rid, state="held", pay="full", amount_minor=0,
                                               expires_at=AT, created_at=AT, booked_online=True))
        else:
            s.execute(delete(GuestHold).where(GuestHold.reservation_id == rid))
    elif s.scalar(select(Folio.id).where(Folio.reservation_id == rid)) is None:
        s.execute(delete(Reservation).where(Reservation.id == rid))  # its nights and rooms go by cascade
    return kind


def _figures(s: Session, dim: Dimension) -> list[Any]:
    report = kpis(s, Query(sites=SITES, start=START, end=END, grain=Grain.DAY, dimension=dim))
    return [(r.period, r.site, r.value, r.figures.sold, r.figures.complimentary, r.figures.house_use,
             r.figures.on_the_books, r.figures.available, r.figures.room_net, r.figures.room_gross,
             sorted(r.figures.departments_gross.items())) for r in report.rows]


def _same(db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    """Every split read from the sums equals the same split read from the rows (the oracle)."""
    for dim in SPLITS:
        with db() as s:
            summed = _figures(s, dim)
        with monkeypatch.context() as m, db() as s:
            m.setattr(day_sums, "kept", lambda _s: False)
            scanned = _figures(s, dim)
        assert summed == scanned, dim
        assert any(row[3] for row in summed) and any(row[8] for row in summed), dim
    with db() as s:
        _marks_follow_the_rows(s)


def _marks_follow_the_rows(s: Session) -> None:
    """What each reservation not marked dirty counts for in the sums (its marks) is what its rows
    say now: a write that left no mark shows here at once, before a later write heals it."""
    clean = "SELECT id FROM reservations EXCEPT SELECT reservation_id FROM reports_dims_dirty"
    kept = (f"SELECT {MARK} FROM reports_dim_marks WHERE reservation_id NOT IN "
            "(SELECT reservation_id FROM reports_dims_dirty)")
    fresh = f"SELECT * FROM reports_dims_of(ARRAY({clean}))"
    stale = s.execute(text(f"({fresh} EXCEPT {kept}) UNION ALL ({kept} EXCEPT {fresh}) LIMIT 3")).all()
    assert stale == [], stale


def test_every_split_read_from_the_sums_equals_the_rows_through_late_changes(
        db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(18)
    with db.begin() as s:
        for n in range(50):
            _book(s, rng, n)
    _same(db, monkeypatch)
    kinds: set[str] = set()
    booked = 50
    for round_ in range(6):
        for _ in range(12):
            with db.begin() as s:
                if rng.random() < 0.15:
                    _book(s, rng, booked)
                    booked += 1
                else:
                    kinds.add(_change(s, rng, booked))
            with db() as s:
                _marks_follow_the_rows(s)
        _same(db, monkeypatch)
        if round_ % 2:
            with db.begin() as s:
                assert day_sums.fold(s) > 0
            with db() as s:
                assert s.scalar(select(DimSum.id).where(DimSum.folded.is_(False)).limit(1)) is None
            _same(db, monkeypatch)
    assert len(kinds) >= 12, kinds  # the mix did reach most kinds of write


def _dirty(s: Session) -> list[str]:
    return list(s.scalars(text("SELECT DISTINCT reservation_id FROM reports_dims_dirty ORDER BY 1")))


def _marked(s: Session, rid: str) -> tuple[int, int]:
    count, amount = s.execute(select(func.count(), func.coalesce(func.sum(DimMark.amount_minor), 0))
                              .where(DimMark.reservation_id == rid)).one()
    return int(count), int(amount)


def _refolded(db: sessionmaker[Session]) -> None:
    """What the app's workers do: the marks into the sums, the appended rows into one per key."""
    with db.begin() as s:
        day_sums.fold(s)


def test_a_write_leaves_its_marks_and_a_fold_sums_them(
        db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    """Many statements on one reservation leave one mark for the transaction; the commit leaves the
    marks and refreshes nothing (the writer pays for the marks only); a fold sums them and takes
    them away; a fold of a mark where nothing a dimension reads changed rewrites nothing."""
    rng = random.Random(3)
    with db.begin() as s:
        for n in range(6):
            _book(s, rng, n)
    _refolded(db)
    first, new = (f"R{n:025d}" for n in (0, 6))
    with db() as s:
        before = _marked(s, first)
        assert before[0] > 0 and _dirty(s) == []
    with db.begin() as s:
        for status in ("checked_in", "booked", "checked_in"):
            s.execute(update(Reservation).where(Reservation.id == first).values(status=status))
        s.execute(update(ReservationNight).where(ReservationNight.reservation_id == first).values(
            amount_minor=12345))
        _book(s, rng, 6)
        assert s.scalar(text("SELECT count(*) FROM reports_dims_dirty WHERE reservation_id = :r"),
                        {"r": first}) == 1
    with db() as s:  # committed: the marks are there, the sums not yet refreshed
        assert _dirty(s) == [first, new]
        assert _marked(s, first) == before and _marked(s, new) == (0, 0)
    with db.begin() as s:
        assert day_sums.refresh_marked(s) == 2
    with db() as s:
        assert _dirty(s) == []
        nights = s.scalar(select(func.count()).select_from(ReservationNight).where(
            ReservationNight.reservation_id == first)) or 0
        assert _marked(s, first) == (nights, 12345 * nights)
        assert _marked(s, new)[0] > 0
    _same(db, monkeypatch)
    _refolded(db)
    with db.begin() as s:  # touched, nothing changed: marked, and the fold writes nothing
        s.execute(update(ReservationNight).where(ReservationNight.reservation_id == first).values(
            amount_minor=ReservationNight.amount_minor))
    with db() as s:
        marks = sorted(s.scalars(select(DimMark.id).where(DimMark.reservation_id == first)))
        assert _dirty(s) == [first]
    with db.begin() as s:
        assert day_sums.refresh_marked(s) == 1
    with db() as s:
        assert sorted(s.scalars(select(DimMark.id).where(DimMark.reservation_id == first))) == marks
        assert s.scalar(select(DimSum.id).where(DimSum.folded.is_(False)).limit(1)) is None
    _same(db, monkeypatch)


def _nights_by_status(s: Session, *, summed: bool) -> dict[str, tuple[int, int]]:
    """(nights, quoted amount) per status, from the undivided dimension sums or from the rows."""
    if summed:
        found = s.execute(select(DimSum.status, func.sum(DimSum.nights), func.sum(DimSum.amount_minor))
                          .where(DimSum.dim == "none").group_by(DimSum.status))
    else:
        found = s.execute(select(Reservation.status, func.count(), func.sum(ReservationNight.amount_minor))
                          .join(Reservation, Reservation.id == ReservationNight.reservation_id)
                          .group_by(Reservation.status))
    return {status: (int(n), int(a)) for status, n, a in found if n}


def test_a_report_read_right_after_a_write_is_exact(
        db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    """No worker folds here: the sums alone are behind the write, the report folds before it reads."""
    rng = random.Random(11)
    with db.begin() as s:
        for n in range(30):
            _book(s, rng, n)
    _refolded(db)
    for round_ in range(4):
        with db.begin() as s:
            for _ in range(3):
                _change(s, rng, 30)
            rid = f"R{rng.randrange(30):025d}"
            s.execute(update(ReservationNight).where(ReservationNight.reservation_id == rid).values(
                amount_minor=ReservationNight.amount_minor + 1 + round_))
            s.execute(update(Reservation).where(Reservation.id == rid).values(status="checked_in"))
        with db() as s:
            assert rid in _dirty(s)
            assert _nights_by_status(s, summed=True) != _nights_by_status(s, summed=False)
            _figures(s, Dimension.CHANNEL)  # a report: it folds first
            assert _dirty(s) == []
            assert _nights_by_status(s, summed=True) == _nights_by_status(s, summed=False)
        _same(db, monkeypatch)


def _in_thread(work: Any) -> tuple[threading.Thread, list[Any]]:
    done: list[Any] = []

    def run() -> None:
        try:
            done.append(work())
        except BaseException as error:  # handed to the test
            done.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, done


def test_a_write_committed_while_a_fold_runs_is_folded_by_the_next(
        db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    """A fold does not hold the writers up, and a reservation written again while it is folded keeps
    the new mark; a second fold waits for the first and counts nothing twice."""
    rng = random.Random(12)
    with db.begin() as s:
        for n in range(10):
            _book(s, rng, n)
    _refolded(db)
    rid = f"R{0:025d}"

    def price(amount: int) -> None:
        with db.begin() as s:
            s.execute(update(ReservationNight).where(ReservationNight.reservation_id == rid).values(
                amount_minor=amount))

    price(1000)
    with db() as first:
        assert day_sums.refresh_marked(first) == 1  # its transaction still open
        writer, wrote = _in_thread(lambda: price(2000))
        writer.join(10)
        assert wrote == [None]  # committed while the fold was still open
        second, folded = _in_thread(lambda: _fold_once(db))
        time.sleep(0.5)
        assert second.is_alive() and not folded  # waits for the first fold
        first.commit()
    second.join(30)
    assert folded == [1]
    with db() as s:
        nights = s.scalar(select(func.count()).select_from(ReservationNight).where(
            ReservationNight.reservation_id == rid)) or 0
        assert _marked(s, rid) == (nights, 2000 * nights)
        assert _nights_by_status(s, summed=True) == _nights_by_status(s, summed=False)
    _same(db, monkeypatch)


def _fold_once(db: sessionmaker[Session]) -> int:
    with db.begin() as s:
        return day_sums.refresh_marked(s)


def test_writes_committing_while_folds_run_lose_nothing(
        db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    """Three writers make random changes, one transaction each, while a fold runs again and again;
    once they stop, every split read from the sums equals the rows."""
    with db.begin() as s:
        rng = random.Random(13)
        for n in range(40):
            _book(s, rng, n)
    _refolded(db)
    stop = threading.Event()
    refreshed: list[int] = []

    def folder() -> None:
        while not stop.is_set():
            refreshed.append(_fold_once(db))

    def writer(seed: int) -> int:
        rng, done = random.Random(seed), 0
        for _ in range(25):
            try:
                with db.begin() as s:
                    _change(s, rng, 40)
                done += 1
            except DBAPIError:  # two writers on one row (a deadlock, a room taken): nothing of it stays
                pass
        return done

    fold_thread = threading.Thread(target=folder, daemon=True)
    fold_thread.start()
    writers = [_in_thread(lambda seed=seed: writer(seed)) for seed in (1, 2, 3)]
    for thread, _ in writers:
        thread.join(300)
    stop.set()
    fold_thread.join(60)
    wrote = [done[0] for _, done in writers]
    assert all(isinstance(n, int) for n in wrote), wrote
    assert sum(wrote) >= 50 and sum(1 for n in refreshed if n) >= 3, (wrote, refreshed)
    _same(db, monkeypatch)
    _refolded(db)
    _same(db, monkeypatch)


def test_the_splits_differ_where_the_rows_do(db: sessionmaker[Session]) -> None:
    """The sums are not one total copied under every value: each split's values are the rows'."""
    rng = random.Random(7)
    with db.begin() as s:
        for n in range(40):
            _book(s, rng, n)
    with db() as s:
        for dim in SPLITS:
            values = {row[2] for row in _figures(s, dim)}
            assert len(values) > 1, (dim, values)
        channels = {row[2] for row in _figures(s, Dimension.CHANNEL)}
        assert {"direct", "web", "group"} <= channels and channels & {"bdc", "exp"}
        assert {row[2] for row in _figures(s, Dimension.COUNTRY)} >= {"PT"}
        assert "leisure" in {row[2] for row in _figures(s, Dimension.SEGMENT)}


def test_the_migration_sums_the_rows_written_before_it(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(pg_url)
    try:
        command.downgrade(alembic_config(engine), "reports_0005")
        sessions: sessionmaker[Session] = make_sessionmaker(engine)
        rng = random.Random(5)
        with sessions.begin() as s:
            _hotels(s)
            for n in range(30):
                _book(s, rng, n)
        upgrade(engine)
        with sessions() as s:
            assert (s.scalar(select(func.count()).select_from(DimMark)) or 0) > 0
            assert s.scalar(select(DimSum.id).where(DimSum.folded.is_(False)).limit(1)) is None
        _same(sessions, monkeypatch)
        with sessions.begin() as s:  # and the triggers follow from there
            _change(s, rng, 30)
            _book(s, rng, 30)
        _same(sessions, monkeypatch)
    finally:
        engine.dispose()
