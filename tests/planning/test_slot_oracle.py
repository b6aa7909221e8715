"""The slot engine against a minute-by-minute brute force (tests/planning/slot_oracle.py).

Random small centres over weeks of Europe/Paris daylight-saving changes (the last Sundays of
March and October, 2026 and 2027) and one summer week: opening windows drawn in local
wall-clock time (either fold of the repeated hour) or as absolute instants at any minute,
room-restricted rosters, skills, two modalities, busy rooms, radiologists and patient. Both
entry points are checked: the integer core (what scheduling calls with calendars from the
database) and the datetime façade (limits, first slot of each day, widening look-ahead).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st

from geste.planning import slotcore
from geste.planning.slots import (
    PARIS,
    Busy,
    Interval,
    RadiologistCalendar,
    RoomCalendar,
    SlotQuery,
    find_slots,
)
from tests.planning.slot_oracle import Problem, Span, brute_force, first_of_each_day, minute

ROOMS = {1: "m", 2: "m", 3: "x"}
RADS = (10, 11, 12)
WEEKS = (  # the Friday before each change (the last Sunday of March, of October), a summer one
    date(2026, 3, 27),
    date(2026, 10, 23),
    date(2027, 3, 26),
    date(2027, 10, 29),
    date(2026, 6, 5),
)
DAYS = 4
MIN = timedelta(minutes=1)


def local(day: date, at: time, fold: int = 0) -> datetime:
    return datetime.combine(day, at, tzinfo=PARIS).replace(fold=fold)


@st.composite
def window(draw: st.DrawFn, days: list[date]) -> Span | None:
    """A window in local wall-clock time on one day, or an absolute one at any minute."""
    day = draw(st.sampled_from(days))
    if draw(st.booleans()):
        # Mostly day hours, sometimes the night of the change.
        hour = draw(st.one_of(st.integers(0, 20), st.sampled_from([0, 1, 2, 3])))
        start = time(hour, draw(st.sampled_from([0, 15, 30, 45, 7])))
        length = draw(st.one_of(st.sampled_from([240, 270, 600]), st.integers(1, 12 * 60)))
        end_minutes = min(23 * 60 + 59, start.hour * 60 + start.minute + length)
        end = time(end_minutes // 60, end_minutes % 60)
        a, b = local(day, start, draw(st.sampled_from([0, 1]))), local(day, end)
    else:
        a = datetime.combine(day, time(0), tzinfo=UTC) + draw(st.integers(0, 24 * 60 - 1)) * MIN
        b = a + draw(st.one_of(st.sampled_from([180, 300]), st.integers(1, 300))) * MIN
    if minute(b) <= minute(a):
        return None  # a window the spring-forward gap turns inside out (02:30-03:00)
    return a, b


@st.composite
def booking(draw: st.DrawFn, days: list[date]) -> Span:
    """A busy interval, mostly like an appointment: on a quarter hour, a usual length."""
    day = draw(st.sampled_from(days))
    at = time(
        draw(st.integers(0, 23)),
        draw(st.one_of(st.sampled_from([0, 15, 30, 45]), st.integers(0, 59))),
    )
    start = local(day, at, draw(st.sampled_from([0, 1])))
    length = draw(st.one_of(st.sampled_from([15, 20, 30, 45, 60, 90]), st.integers(1, 600)))
    return start, datetime.fromtimestamp(minute(start) * 60 + length * 60, PARIS)


def bookings(draw: st.DrawFn, days: list[date], most: int) -> list[Span]:
    return draw(st.lists(booking(days), max_size=most))


def spans(draw: st.DrawFn, days: list[date], most: int, least: int = 0) -> list[Span]:
    found = draw(st.lists(window(days), min_size=least, max_size=most))
    return [w for w in found if w is not None]


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    first = draw(st.sampled_from(WEEKS))
    days = [first + timedelta(days=i) for i in range(DAYS)]
    not_before = local(first, time(0)) + draw(st.integers(0, 36 * 12)) * 5 * MIN
    not_after = not_before + draw(st.integers(6, (DAYS - 1) * 24)) * 60 * MIN
    return Problem(
        rooms={r: (modality, spans(draw, days, 8, 2)) for r, modality in ROOMS.items()},
        presence={
            rad: [(a, b, draw(st.sampled_from([None, *ROOMS]))) for a, b in spans(draw, days, 8, 2)]
            for rad in RADS
        },
        skills={rad: frozenset(draw(st.sets(st.sampled_from(["a", "b"])))) for rad in RADS},
        busy_rooms={r: bookings(draw, days, 5) for r in ROOMS},
        busy_rads={r: bookings(draw, days, 5) for r in RADS},
        busy_patient=bookings(draw, days, 3),
        modality="m",
        skill=draw(st.sampled_from([None, "a"])),
        duration=draw(st.sampled_from([15, 20, 30, 45, 60, 90])),
        # Steps that do not divide an hour make the daylight-saving shift visible on the grid.
        step=draw(st.sampled_from([15, 20, 10, 30, 45, 40, 90, 7])),
        not_before=not_before,
        not_after=not_after,
        tz=PARIS,
    )


def via_core(p: Problem) -> list[tuple[int, int, int]]:
    us = slotcore.to_us

    def pairs(v: list[Span]) -> list[tuple[int, int]]:
        return [(us(a), us(b)) for a, b in v]

    calendars = slotcore.Calendars(
        rooms={r: slotcore.merged(pairs(w)) for r, (_m, w) in p.rooms.items()},
        presence={k: [(us(a), us(b), only) for a, b, only in v] for k, v in p.presence.items()},
        skills=p.skills,
    )
    busy = slotcore.BusyTimes(
        rooms={k: slotcore.busy_index(pairs(v)) for k, v in p.busy_rooms.items()},
        radiologists={k: slotcore.busy_index(pairs(v)) for k, v in p.busy_rads.items()},
        patient=slotcore.busy_index(pairs(p.busy_patient)),
    )
    search = slotcore.Search(
        p.duration * 60_000_000, p.step * 60_000_000, us(p.not_before), us(p.not_after), p.tz
    )
    room_ids = [r for r, (modality, _w) in p.rooms.items() if modality == p.modality]
    found = slotcore.free_starts(
        calendars=calendars, busy=busy, room_ids=room_ids, skill=p.skill, search=search
    )
    return [(s // 60_000_000, r, k) for s, r, k in found]


def via_facade(p: Problem, limit: int | None, per_day: bool) -> list[tuple[int, int, int]]:
    def ivs(v: list[Span]) -> list[Interval]:
        return [Interval(a, b) for a, b in v]

    query = SlotQuery(
        procedure="x",
        modality=p.modality,
        duration=p.duration * MIN,
        not_before=p.not_before,
        not_after=p.not_after,
        step=p.step * MIN,
        limit=limit,
        needs_radiologist_skill=p.skill,
        first_per_day=per_day,
        tz=p.tz,
    )
    rooms = [RoomCalendar(r, modality, ivs(w)) for r, (modality, w) in p.rooms.items()]
    rads = [
        RadiologistCalendar(k, [(Interval(a, b), only) for a, b, only in v], p.skills[k])
        for k, v in p.presence.items()
    ]
    busy = Busy(
        rooms={k: ivs(v) for k, v in p.busy_rooms.items()},
        radiologists={k: ivs(v) for k, v in p.busy_rads.items()},
        patient=ivs(p.busy_patient),
    )
    slots = find_slots(query, rooms, rads, busy)
    for s in slots:  # a slot lasts the duration in real time and is given in the zone
        assert minute(s.end) - minute(s.start) == p.duration
        assert s.start.tzinfo is p.tz and s.end.tzinfo is p.tz
    return [(minute(s.start), s.room_id, s.radiologist_id) for s in slots]


@settings(max_examples=250, deadline=None)
@given(problems(), st.sampled_from([None, 1, 3, 8]), st.booleans())
def test_engine_gives_exactly_the_brute_force_slots(
    p: Problem, limit: int | None, per_day: bool
) -> None:
    expected = brute_force(p)
    event("slots found" if expected else "no slot")
    assert via_core(p) == expected
    if per_day:
        expected = first_of_each_day(expected, p.tz)
    assert via_facade(p, limit, per_day) == expected[:limit]


def test_oracle_knows_the_daylight_saving_nights() -> None:
    """The oracle itself, on the two nights: no 02:xx in spring, 02:xx twice in autumn."""
    spring, autumn = date(2026, 3, 29), date(2026, 10, 25)

    def night(day: date) -> list[str]:
        p = Problem(
            rooms={1: ("m", [(local(day, time(0)), local(day, time(5)))])},
            presence={10: [(local(day, time(0)), local(day, time(5)), None)]},
            skills={},
            busy_rooms={},
            busy_rads={},
            busy_patient=[],
            modality="m",
            skill=None,
            duration=60,
            step=60,
            not_before=local(day, time(0)),
            not_after=local(day, time(6)),
            tz=PARIS,
        )
        return [
            datetime.fromtimestamp(t * 60, PARIS).strftime("%H:%M%z")
            for t, _r, _k in brute_force(p)
        ]

    assert night(spring) == ["00:00+0100", "01:00+0100", "03:00+0200", "04:00+0200"]
    assert night(autumn) == [
        "00:00+0200",
        "01:00+0200",
        "02:00+0200",
        "02:00+0100",
        "03:00+0100",
        "04:00+0100",
    ]
