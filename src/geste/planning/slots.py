"""Earliest-slot search on aware datetimes: the façade of the slot engine.

Plain data in, slots out. The caller computes the opening windows (opening hours minus
closures and public holidays), the radiologists' presence (rosters) and what is already booked.
The rules a slot obeys are those of `geste.planning.slotcore` (read its docstring): this module
only converts datetimes to integers and back, filters rooms by modality and radiologists by
skill, and stops at the limit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from itertools import islice

from geste.planning.slotcore import (
    PARIS,
    BusyIndex,
    BusyTimes,
    Calendars,
    Pair,
    Search,
    busy_index,
    first_per_day,
    free_starts,
    from_us,
    merged,
    to_us,
)

__all__ = [
    "PARIS",
    "Busy",
    "Interval",
    "RadiologistCalendar",
    "RoomCalendar",
    "Slot",
    "SlotQuery",
    "find_slots",
    "iter_slots",
]

_US = timedelta(microseconds=1)
_DAY = timedelta(days=1)
_FIRST_LOOK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open time interval [start, end) between two aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError(f"Interval needs aware datetimes, got {self.start!r}, {self.end!r}")


@dataclass(frozen=True, slots=True)
class RoomCalendar:
    room_id: int
    modality: str
    open: Sequence[Interval]


@dataclass(frozen=True, slots=True)
class RadiologistCalendar:
    """``present``: windows where the radiologist works, each optionally restricted to a room."""

    radiologist_id: int
    present: Sequence[tuple[Interval, int | None]]
    skills: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Busy:
    """What is already taken: per room id, per radiologist id, and for the patient."""

    rooms: Mapping[int, Sequence[Interval]] = field(default_factory=dict)
    radiologists: Mapping[int, Sequence[Interval]] = field(default_factory=dict)
    patient: Sequence[Interval] = ()


@dataclass(frozen=True, slots=True)
class SlotQuery:
    """One search.

    ``needs_radiologist_skill``: None accepts any radiologist present.
    ``limit``: at most that many slots; None gives every slot (e.g. a planner's whole day).
    ``first_per_day``: keep only the earliest slot of each local day (one proposal per day).
    Prerequisites (consultation done, hemostasis result due, drug hold...) are the caller's:
    they move ``not_before``.
    """

    procedure: str
    modality: str
    duration: timedelta
    not_before: datetime
    not_after: datetime
    step: timedelta = timedelta(minutes=15)
    limit: int | None = 5
    needs_radiologist_skill: str | None = None
    first_per_day: bool = False
    tz: tzinfo = PARIS


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime
    end: datetime
    room_id: int
    radiologist_id: int


def find_slots(
    query: SlotQuery,
    rooms: Sequence[RoomCalendar],
    radiologists: Sequence[RadiologistCalendar],
    busy: Busy,
) -> list[Slot]:
    """The first ``query.limit`` free slots, earliest first, then by room id, radiologist id."""
    return list(iter_slots(query, rooms, radiologists, busy))


def iter_slots(
    query: SlotQuery,
    rooms: Sequence[RoomCalendar],
    radiologists: Sequence[RadiologistCalendar],
    busy: Busy,
) -> Iterator[Slot]:
    """Yield the free slots in order (start, room id, radiologist id), up to the limit."""
    _validate(query)
    not_before = _us(query.not_before, "not_before")
    not_after = _us(query.not_after, "not_after")
    duration = query.duration // _US
    if query.limit is None:
        found: Iterator[tuple[int, int, int]] = _search(
            query, query.not_before, query.not_after, rooms, radiologists, busy
        )
    else:
        # Converting a whole horizon of bookings costs more than searching it: look a week
        # ahead first, then further. Exact, since every slot has the same duration: the first
        # ``limit`` slots ending before a cutoff are the first ``limit`` slots overall.
        span = _FIRST_LOOK
        if query.first_per_day:  # one slot a day: look about as many days ahead, weekends too
            span = max(span, 2 * query.limit * _DAY)
        while True:
            cutoff = min(not_after, not_before + span // _US)
            first = list(
                islice(
                    _search(query, query.not_before, from_us(cutoff), rooms, radiologists, busy),
                    query.limit,
                )
            )
            if len(first) == query.limit or cutoff == not_after:
                break
            span *= 4
        found = iter(first)
    for start, room_id, rad_id in found:
        yield Slot(from_us(start, query.tz), from_us(start + duration, query.tz), room_id, rad_id)


def _search(
    query: SlotQuery,
    not_before: datetime,
    not_after: datetime,
    rooms: Sequence[RoomCalendar],
    radiologists: Sequence[RadiologistCalendar],
    busy: Busy,
) -> Iterator[tuple[int, int, int]]:
    """Convert what lies near [not_before, not_after] to integers and run the engine."""
    # A day of margin either side, which also covers the hour of error of comparing two
    # datetimes of one zone on their wall-clock fields. (An opening that ran unbroken from more
    # than a day before not_before would have its grid counted from the margin: opening hours
    # are daily, so none does.)
    lo, hi = not_before - _DAY, not_after + _DAY

    def near(intervals: Sequence[Interval]) -> list[Pair]:
        return _pairs(iv for iv in intervals if iv.end > lo and iv.start < hi)

    def index(intervals: Sequence[Interval]) -> BusyIndex:
        return busy_index(near(intervals))

    skill = query.needs_radiologist_skill
    room_ids = [r.room_id for r in rooms if r.modality == query.modality]
    rads = [r for r in radiologists if skill is None or skill in r.skills]
    calendars = Calendars(
        rooms={r.room_id: merged(near(r.open)) for r in rooms if r.modality == query.modality},
        presence={
            r.radiologist_id: [
                (*_pair(iv), only) for iv, only in r.present if iv.end > lo and iv.start < hi
            ]
            for r in rads
        },
    )
    times = BusyTimes(
        rooms={k: index(busy.rooms.get(k, ())) for k in room_ids},
        radiologists={
            r.radiologist_id: index(busy.radiologists.get(r.radiologist_id, ())) for r in rads
        },
        patient=index(busy.patient),
    )
    search = Search(
        query.duration // _US,
        query.step // _US,
        _us(not_before, "not_before"),
        _us(not_after, "not_after"),
        query.tz,
    )
    stream = free_starts(
        calendars=calendars, busy=times, room_ids=room_ids, skill=None, search=search
    )
    return first_per_day(stream, query.tz) if query.first_per_day else stream


def _validate(query: SlotQuery) -> None:
    if query.duration <= timedelta(0):
        raise ValueError("duration must be positive")
    if query.step <= timedelta(0):
        raise ValueError("step must be positive")
    if query.limit is not None and query.limit < 1:
        raise ValueError("limit must be at least 1 (or None for every slot)")


def _us(dt: datetime, what: str) -> int:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, got {dt!r}")
    return to_us(dt)


def _pair(iv: Interval) -> Pair:
    start, end = to_us(iv.start), to_us(iv.end)
    if end < start:
        raise ValueError(f"interval ends before it starts: {iv!r}")
    return start, end


def _pairs(intervals: Iterator[Interval] | Sequence[Interval]) -> list[Pair]:
    return [_pair(iv) for iv in intervals]
