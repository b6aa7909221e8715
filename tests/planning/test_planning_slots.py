"""Earliest-slot search (geste.planning.slots and its integer core): plain data, no database.

Examples of each rule; the randomised comparison with a brute force is test_slot_oracle.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from geste.planning import slotcore
from geste.planning.slots import (
    PARIS,
    Busy,
    Interval,
    RadiologistCalendar,
    RoomCalendar,
    Slot,
    SlotQuery,
    find_slots,
    iter_slots,
)

MIN = timedelta(minutes=1)
TUESDAY = date(2026, 6, 2)


def at(day: date, hour: int, minute: int = 0, *, fold: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=PARIS, fold=fold)


def iv(day: date, start: tuple[int, int], end: tuple[int, int]) -> Interval:
    return Interval(at(day, *start), at(day, *end))


def room(room_id: int = 1, modality: str = "fluoroscopy", *days: date) -> RoomCalendar:
    return RoomCalendar(room_id, modality, [iv(d, (8, 0), (12, 0)) for d in days or (TUESDAY,)])


def rad(
    rad_id: int = 10, *days: date, only: int | None = None, skills: frozenset[str] = frozenset()
) -> RadiologistCalendar:
    return RadiologistCalendar(
        rad_id, [(iv(d, (7, 0), (19, 0)), only) for d in days or (TUESDAY,)], skills
    )


def query(minutes: int = 30, **kw: object) -> SlotQuery:
    args: dict[str, object] = {
        "procedure": "epidural",
        "modality": "fluoroscopy",
        "duration": minutes * MIN,
        "not_before": at(TUESDAY - timedelta(days=1), 0),
        "not_after": at(TUESDAY + timedelta(days=30), 0),
    }
    args.update(kw)
    return SlotQuery(**args)  # type: ignore[arg-type]


def starts(slots: list[Slot]) -> list[str]:
    return [s.start.strftime("%H:%M") for s in slots]


def test_first_free_slots_are_on_the_grid_from_opening():
    slots = find_slots(query(), [room()], [rad()], Busy())
    assert starts(slots) == ["08:00", "08:15", "08:30", "08:45", "09:00"]
    assert slots[0] == Slot(at(TUESDAY, 8), at(TUESDAY, 8, 30), 1, 10)


def test_slot_must_fit_before_closing():
    slots = find_slots(query(60, limit=None), [room()], [rad()], Busy())
    assert starts(slots)[-1] == "11:00"
    assert all(s.end <= at(TUESDAY, 12) for s in slots)


@pytest.mark.parametrize("who", ["room", "radiologist", "patient"])
def test_busy_room_radiologist_or_patient_is_skipped(who: str):
    taken = [iv(TUESDAY, (8, 0), (9, 10))]
    busy = {
        "room": Busy(rooms={1: taken}),
        "radiologist": Busy(radiologists={10: taken}),
        "patient": Busy(patient=taken),
    }[who]
    slots = find_slots(query(), [room()], [rad()], busy)
    assert starts(slots)[0] == "09:15"  # next grid start after 09:10


def test_slot_may_start_when_a_busy_interval_ends_and_fill_a_gap_exactly():
    busy = Busy(rooms={1: [iv(TUESDAY, (8, 0), (9, 0)), iv(TUESDAY, (9, 30), (12, 0))]})
    slots = find_slots(query(limit=None), [room()], [rad()], busy)
    assert starts(slots) == ["09:00"]


def test_busy_of_another_room_or_radiologist_does_not_block():
    busy = Busy(rooms={2: [iv(TUESDAY, (8, 0), (12, 0))]}, radiologists={11: []})
    assert starts(find_slots(query(limit=1), [room()], [rad()], busy)) == ["08:00"]


def test_room_modality_and_radiologist_skill():
    rooms = [room(1, "ct"), room(2, "fluoroscopy")]
    rads = [rad(10), rad(11, skills=frozenset({"vertebroplasty"}))]
    slots = find_slots(query(limit=None), rooms, rads, Busy())
    assert {s.room_id for s in slots} == {2}
    assert {s.radiologist_id for s in slots} == {10, 11}
    skilled = find_slots(query(needs_radiologist_skill="vertebroplasty"), rooms, rads, Busy())
    assert {(s.room_id, s.radiologist_id) for s in skilled} == {(2, 11)}
    assert find_slots(query(needs_radiologist_skill="ablation"), rooms, rads, Busy()) == []


def test_radiologist_restricted_to_a_room():
    rooms = [room(1), room(2)]
    slots = find_slots(query(limit=None), rooms, [rad(10, only=2)], Busy())
    assert {s.room_id for s in slots} == {2}
    assert find_slots(query(), [room(1)], [rad(10, only=2)], Busy()) == []


def test_slot_inside_radiologist_presence():
    late = RadiologistCalendar(10, [(iv(TUESDAY, (9, 20), (10, 40)), None)])
    slots = find_slots(query(limit=None), [room()], [late], Busy())
    # Starts stay on the room's grid (from 08:00), within 09:20-10:40.
    assert starts(slots) == ["09:30", "09:45", "10:00"]


def test_not_before_and_not_after():
    q = query(limit=None, not_before=at(TUESDAY, 9, 7), not_after=at(TUESDAY, 10))
    assert starts(find_slots(q, [room()], [rad()], Busy())) == ["09:15", "09:30"]


def test_limit_and_ordering_by_start_then_room_then_radiologist():
    rooms = [room(2), room(1)]
    rads = [rad(11), rad(10)]
    slots = find_slots(query(limit=5), rooms, rads, Busy())
    assert [(s.start.strftime("%H:%M"), s.room_id, s.radiologist_id) for s in slots] == [
        ("08:00", 1, 10),
        ("08:00", 1, 11),
        ("08:00", 2, 10),
        ("08:00", 2, 11),
        ("08:15", 1, 10),
    ]


def test_earliest_across_days_and_first_per_day():
    wed, thu = TUESDAY + timedelta(days=1), TUESDAY + timedelta(days=2)
    busy = Busy(rooms={1: [iv(TUESDAY, (8, 0), (12, 0)), iv(wed, (8, 0), (10, 0))]})
    rooms, rads = [room(1, "fluoroscopy", TUESDAY, wed, thu)], [rad(10, TUESDAY, wed, thu)]
    assert find_slots(query(limit=1), rooms, rads, busy)[0].start == at(wed, 10)
    per_day = find_slots(query(first_per_day=True), rooms, rads, busy)
    assert [s.start for s in per_day] == [at(wed, 10), at(thu, 8)]


def test_first_slot_far_ahead_is_found():
    far = TUESDAY + timedelta(days=45)
    q = query(limit=2, not_after=at(far, 23))
    slots = find_slots(q, [room(1, "fluoroscopy", far)], [rad(10, far)], Busy())
    assert [s.start for s in slots] == [at(far, 8), at(far, 8, 15)]


def test_first_per_day_over_more_than_a_week():
    days = [TUESDAY + timedelta(days=d) for d in range(20)]
    slots = find_slots(
        query(limit=12, first_per_day=True),
        [room(1, "fluoroscopy", *days)],
        [rad(10, *days)],
        Busy(),
    )
    assert [s.start for s in slots] == [at(d, 8) for d in days[:12]]


def test_iter_slots_is_lazy_and_ordered():
    it = iter_slots(query(limit=None), [room()], [rad()], Busy())
    assert next(it).start == at(TUESDAY, 8)
    assert next(it).start == at(TUESDAY, 8, 15)


def test_empty_results():
    assert find_slots(query(), [], [rad()], Busy()) == []
    assert find_slots(query(), [room()], [], Busy()) == []
    assert find_slots(query(300), [room()], [rad()], Busy()) == []  # longer than the window
    full = Busy(patient=[iv(TUESDAY, (0, 0), (23, 0))])
    assert find_slots(query(), [room()], [rad()], full) == []
    q = query(not_before=at(TUESDAY, 11, 50), not_after=at(TUESDAY, 12))
    assert find_slots(q, [room()], [rad()], Busy()) == []


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="aware"):
        Interval(datetime(2026, 6, 2, 8), at(TUESDAY, 9))
    with pytest.raises(ValueError, match="not_before"):
        find_slots(query(not_before=datetime(2026, 6, 2, 8)), [room()], [rad()], Busy())
    with pytest.raises(ValueError, match="duration"):
        find_slots(query(0), [room()], [rad()], Busy())
    with pytest.raises(ValueError, match="limit"):
        find_slots(query(limit=0), [room()], [rad()], Busy())
    backwards = Busy(patient=[Interval(at(TUESDAY, 10), at(TUESDAY, 9))])
    with pytest.raises(ValueError, match="ends before"):
        find_slots(query(), [room()], [rad()], backwards)


def test_other_time_zones_in_input_are_handled_as_instants():
    utc_open = Interval(at(TUESDAY, 8).astimezone(UTC), at(TUESDAY, 12).astimezone(UTC))
    slots = find_slots(
        query(limit=1), [RoomCalendar(1, "fluoroscopy", [utc_open])], [rad()], Busy()
    )
    assert slots[0].start == at(TUESDAY, 8)
    assert slots[0].start.tzinfo is PARIS


# --- daylight-saving changes (Europe/Paris, 2026: 29 March and 25 October) -------------------

SPRING = date(2026, 3, 29)  # 02:00 -> 03:00, UTC+1 -> UTC+2
AUTUMN = date(2026, 10, 25)  # 03:00 -> 02:00, UTC+2 -> UTC+1


@pytest.mark.parametrize(("day", "offset_after"), [(SPRING, 2), (AUTUMN, 1)])
def test_change_day_morning_is_in_local_time(day: date, offset_after: int):
    slots = find_slots(
        query(30, limit=None, not_before=at(day, 0), not_after=at(day, 23)),
        [room(1, "fluoroscopy", day)],
        [rad(10, day)],
        Busy(),
    )
    assert starts(slots)[:3] == ["08:00", "08:15", "08:30"]
    assert starts(slots)[-1] == "11:30"
    assert len(slots) == 15
    assert slots[0].start.utcoffset() == timedelta(hours=offset_after)
    assert slots[0].end - slots[0].start == 30 * MIN


@pytest.mark.parametrize("change", [SPRING, AUTUMN])
def test_week_across_the_change_keeps_eight_oclock(change: date):
    week = [change + timedelta(days=d) for d in range(-3, 4)]
    slots = find_slots(
        query(
            45,
            first_per_day=True,
            limit=None,
            not_before=at(week[0], 0),
            not_after=at(week[-1], 23),
        ),
        [room(1, "fluoroscopy", *week)],
        [rad(10, *week)],
        Busy(rooms={1: [iv(change + timedelta(days=1), (8, 0), (9, 0))]}),
    )
    assert [s.start.strftime("%d %H:%M") for s in slots] == [
        f"{d.day:02d} {'09:00' if d == change + timedelta(days=1) else '08:00'}" for d in week
    ]
    offsets = {s.start.date(): s.start.utcoffset() for s in slots}
    assert offsets[week[0]] != offsets[week[-1]]


def test_spring_forward_night_skips_the_missing_hour_and_lasts_real_time():
    night = RoomCalendar(1, "fluoroscopy", [Interval(at(SPRING, 0), at(SPRING, 5))])
    always = RadiologistCalendar(10, [(Interval(at(SPRING, 0), at(SPRING, 23)), None)])
    slots = find_slots(
        query(60, step=60 * MIN, limit=None, not_before=at(SPRING, 0)), [night], [always], Busy()
    )
    assert [s.start.isoformat() for s in slots] == [
        "2026-03-29T00:00:00+01:00",
        "2026-03-29T01:00:00+01:00",  # ends 03:00 local: one real hour later
        "2026-03-29T03:00:00+02:00",  # 02:00 does not exist
        "2026-03-29T04:00:00+02:00",
    ]
    assert slots[1].end == at(SPRING, 3)


def test_fall_back_night_offers_the_repeated_hour_twice():
    night = RoomCalendar(1, "fluoroscopy", [Interval(at(AUTUMN, 0), at(AUTUMN, 4))])
    always = RadiologistCalendar(10, [(Interval(at(AUTUMN, 0), at(AUTUMN, 23)), None)])
    slots = find_slots(
        query(60, step=60 * MIN, limit=None, not_before=at(AUTUMN, 0), not_after=at(AUTUMN, 23)),
        [night],
        [always],
        Busy(),
    )
    assert [s.start.isoformat() for s in slots] == [
        "2026-10-25T00:00:00+02:00",
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",
        "2026-10-25T03:00:00+01:00",
    ]
    assert slots[3].start == at(AUTUMN, 2, fold=1)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (
            SPRING,
            ["00:00+01", "00:45+01", "01:30+01", "03:00+02", "03:45+02", "04:30+02", "05:15+02"],
        ),
        (
            AUTUMN,
            ["00:00+02", "00:45+02", "01:30+02", "02:15+02", "02:15+01", "03:00+01", "03:45+01"],
        ),
    ],
)
def test_grid_counts_wall_clock_steps_across_the_change(day: date, expected: list[str]):
    """A step that does not divide an hour shows the grid is local: 02:15 is skipped in spring
    (it does not exist), offered twice in autumn, and 03:00 stays on the grid."""
    night = RoomCalendar(
        1, "fluoroscopy", [Interval(at(day, 0), at(day, 6 if day == SPRING else 5))]
    )
    always = RadiologistCalendar(10, [(Interval(at(day, 0), at(day, 23)), None)])
    slots = find_slots(
        query(45, step=45 * MIN, limit=None, not_before=at(day, 0), not_after=at(day, 23)),
        [night],
        [always],
        Busy(),
    )
    assert [s.start.strftime("%H:%M%z")[:-2] for s in slots] == expected


# --- the integer core, as scheduling calls it --------------------------------------------------

H = 3_600_000_000  # an hour in microseconds


def test_core_streams_free_starts_lazily_by_start_room_radiologist():
    t0 = slotcore.local_us(TUESDAY, time(8))
    calendars = slotcore.Calendars(
        rooms={1: [(t0, t0 + 2 * H)], 2: slotcore.merged([(t0 + H, t0 + 2 * H), (t0, t0 + H)])},
        presence={10: [(t0, t0 + 4 * H, None)], 11: [(t0, t0 + 4 * H, 2)]},
        skills={10: frozenset({"a"}), 11: frozenset({"a"})},
    )
    busy = slotcore.BusyTimes(rooms={1: slotcore.busy_index([(t0, t0 + H // 2)])})
    search = slotcore.Search(H, H // 2, t0, t0 + 2 * H)
    stream = slotcore.free_starts(
        calendars=calendars, busy=busy, room_ids=[2, 1], skill="a", search=search
    )
    assert next(stream) == (t0, 2, 10)
    assert list(stream) == [
        (t0, 2, 11),
        (t0 + H // 2, 1, 10),  # room 1 is busy until 08:30
        (t0 + H // 2, 2, 10),  # touching windows of room 2 are one window: 08:30 fits
        (t0 + H // 2, 2, 11),
        (t0 + H, 1, 10),
        (t0 + H, 2, 10),
        (t0 + H, 2, 11),
    ]
    assert list(slotcore.first_per_day(iter([(t0, 1, 1), (t0 + H, 2, 2)]))) == [(t0, 1, 1)]
    assert slotcore.from_us(t0) == at(TUESDAY, 8)


def test_core_refuses_an_empty_duration_or_step():
    with pytest.raises(ValueError, match="duration"):
        slotcore.Search(0, 1, 0, 10)
    with pytest.raises(ValueError, match="step"):
        slotcore.Search(1, 0, 0, 10)
