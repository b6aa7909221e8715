"""The integer slot engine gives exactly the slots of geste.planning.slots (the reference).

Random centres over weeks that include both daylight-saving changes of 2026, with split
opening hours, night openings, room-restricted rosters, skills and busy times.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from geste.planning.slots import (
    PARIS,
    Busy,
    Interval,
    RadiologistCalendar,
    RoomCalendar,
    SlotQuery,
    find_slots,
)
from geste.scheduling import slotsearch

ROOMS = (1, 2, 3)
RADS = (10, 11, 12)
# The weeks of the spring-forward (29 March) and fall-back (25 October) changes.
WEEKS = (date(2026, 3, 26), date(2026, 10, 22))

hours = st.integers(min_value=0, max_value=23)
minutes = st.sampled_from([0, 10, 15, 20, 30, 45])


@st.composite
def window(draw: st.DrawFn) -> tuple[time, time]:
    start_h = draw(hours)
    end_h = draw(st.integers(min_value=start_h, max_value=24))
    start = time(start_h, draw(minutes))
    end = time(23, 59) if end_h == 24 else time(end_h, draw(minutes))
    if end <= start:
        end = time(23, 59)
    return start, end


def local(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=PARIS)


def real(a: datetime, b: datetime) -> bool:
    """False for a window that the spring-forward gap turns inside out (02:45-03:00)."""
    return slotsearch.to_us(a) < slotsearch.to_us(b)


@st.composite
def centre(draw: st.DrawFn) -> dict:
    first = draw(st.sampled_from(WEEKS))
    span = [first + timedelta(days=i) for i in range(6)]
    rooms = {
        r: [
            (local(d, a), local(d, b))
            for d in span
            for a, b in draw(st.lists(window(), max_size=2))
            if real(local(d, a), local(d, b))
        ]
        for r in ROOMS
    }
    presence = {
        rad: [
            (local(d, a), local(d, b), draw(st.sampled_from([None, *ROOMS])))
            for d in span
            for a, b in draw(st.lists(window(), max_size=2))
            if real(local(d, a), local(d, b))
        ]
        for rad in RADS
    }
    skills = {rad: frozenset(draw(st.sets(st.sampled_from(["a", "b"])))) for rad in RADS}

    def busy() -> list[tuple[datetime, datetime]]:
        out = []
        for _ in range(draw(st.integers(0, 6))):
            d = draw(st.sampled_from(span))
            start = local(d, time(draw(hours), draw(minutes)))
            length = timedelta(minutes=draw(st.integers(5, 240)))
            out.append((start, (start.astimezone(UTC) + length).astimezone(PARIS)))
        return out

    return {
        "first": first,
        "rooms": rooms,
        "presence": presence,
        "skills": skills,
        "busy_rooms": {r: busy() for r in ROOMS},
        "busy_rads": {r: busy() for r in RADS},
        "busy_patient": busy(),
        "duration": timedelta(minutes=draw(st.sampled_from([15, 20, 30, 45, 60]))),
        "step": timedelta(minutes=draw(st.sampled_from([10, 15, 20, 30]))),
        "skill": draw(st.sampled_from([None, "a"])),
        "from_hours": draw(st.integers(0, 48)),
    }


def _reference(c: dict) -> list[tuple[int, int, int]]:
    def ivs(pairs):  # type: ignore[no-untyped-def]
        return [Interval(a, b) for a, b in pairs]

    not_before = local(c["first"], time(0)) + timedelta(hours=c["from_hours"])
    query = SlotQuery(
        procedure="x",
        modality="m",
        duration=c["duration"],
        not_before=not_before,
        not_after=not_before + timedelta(days=6),
        step=c["step"],
        limit=None,
        needs_radiologist_skill=c["skill"],
    )
    rooms = [RoomCalendar(r, "m", ivs(w)) for r, w in c["rooms"].items()]
    rads = [
        RadiologistCalendar(rad, [(Interval(a, b), only) for a, b, only in p], c["skills"][rad])
        for rad, p in c["presence"].items()
    ]
    busy = Busy(
        rooms={k: ivs(v) for k, v in c["busy_rooms"].items()},
        radiologists={k: ivs(v) for k, v in c["busy_rads"].items()},
        patient=ivs(c["busy_patient"]),
    )
    return [
        (slotsearch.to_us(s.start), s.room_id, s.radiologist_id)
        for s in find_slots(query, rooms, rads, busy)
    ]


def _engine(c: dict) -> list[tuple[int, int, int]]:
    us = slotsearch.to_us

    def pairs(v):  # type: ignore[no-untyped-def]
        return [(us(a), us(b)) for a, b in v]

    cal = slotsearch.Calendars(
        rooms={r: slotsearch.merged(pairs(w)) for r, w in c["rooms"].items()},
        presence={
            rad: [(us(a), us(b), only) for a, b, only in p] for rad, p in c["presence"].items()
        },
        skills=c["skills"],
    )
    busy = slotsearch.BusyTimes(
        rooms={k: slotsearch._index(pairs(v)) for k, v in c["busy_rooms"].items()},
        radiologists={k: slotsearch._index(pairs(v)) for k, v in c["busy_rads"].items()},
        patient=slotsearch._index(pairs(c["busy_patient"])),
    )
    not_before = local(c["first"], time(0)) + timedelta(hours=c["from_hours"])
    search = slotsearch.Search(
        c["duration"] // timedelta(microseconds=1),
        c["step"] // timedelta(microseconds=1),
        us(not_before),
        us(not_before + timedelta(days=6)),
    )
    return list(
        slotsearch.free_starts(
            calendars=cal, busy=busy, room_ids=ROOMS, skill=c["skill"], search=search
        )
    )


@settings(max_examples=150, deadline=None)
@given(centre())
def test_engine_matches_the_planning_reference(c: dict) -> None:
    assert _engine(c) == _reference(c)


def test_spring_forward_night_window_has_no_missing_hour() -> None:
    day = date(2026, 3, 29)
    cal = slotsearch.Calendars(
        rooms={1: [(slotsearch.local_us(day, time(1)), slotsearch.local_us(day, time(4)))]},
        presence={
            10: [(slotsearch.local_us(day, time(0)), slotsearch.local_us(day, time(5)), None)]
        },
    )
    empty = slotsearch.BusyTimes(rooms={}, radiologists={}, patient=([], []))
    minute = 60_000_000
    search = slotsearch.Search(
        30 * minute,
        30 * minute,
        slotsearch.local_us(day, time(0)),
        slotsearch.local_us(day, time(6)),
    )
    starts = [
        slotsearch.from_us(s).strftime("%H:%M")
        for s, _r, _d in slotsearch.free_starts(
            calendars=cal, busy=empty, room_ids=[1], skill=None, search=search
        )
    ]
    # 01:00-04:00 local is two hours of real time on that night: 01:00, 01:30, 03:00, 03:30.
    assert starts == ["01:00", "01:30", "03:00", "03:30"]
