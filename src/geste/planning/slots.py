"""Earliest-slot search: free (room, radiologist) slots for one procedure and one patient.

Plain data in, slots out. The caller computes the opening windows (opening hours minus
closures and public holidays), the radiologists' presence (rosters) and what is already booked.

Rules a slot obeys:
- it lies fully inside one room opening window AND one presence window of the radiologist
  (a presence window restricted to a room only counts for that room);
- the room's modality equals the query's; the radiologist has the required skill, if any;
- it overlaps no busy interval of the room, of the radiologist or of the patient (intervals are
  half-open: a slot may start when a busy interval ends);
- it starts at or after ``not_before`` and ends at or before ``not_after``;
- its start is on the step grid counted from its room opening window's start in LOCAL
  wall-clock time (``query.tz``, Europe/Paris by default), and it lasts ``duration`` of real
  (absolute) time.

Why integers: Python compares and subtracts two aware datetimes that share a tzinfo on their
wall-clock fields, ignoring the UTC offset, which is wrong by an hour across a daylight-saving
change. Everything is therefore converted once to microseconds since the epoch (UTC), and the
wall-clock grid is rebuilt from the zone's UTC offset on each side of a change: a wall-clock time
that does not exist (the spring-forward hour) gives no slot; one that occurs twice (the
fall-back hour) gives two distinct instants.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from itertools import islice
from zoneinfo import ZoneInfo

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

PARIS = ZoneInfo("Europe/Paris")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_DAY_US = 86_400_000_000
_NEVER = 1 << 62
_FIRST_LOOK = 7 * _DAY_US


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
            query, not_before, not_after, rooms, radiologists, busy
        )
    else:
        # Converting a whole horizon of bookings costs more than searching it: look a week
        # ahead first, then further. Exact, since every slot has the same duration: the first
        # ``limit`` slots ending before a cutoff are the first ``limit`` slots overall.
        span = _FIRST_LOOK
        if query.first_per_day:  # one slot a day: look about as many days ahead, weekends too
            span = max(span, 2 * query.limit * _DAY_US)
        while True:
            cutoff = min(not_after, not_before + span)
            first = list(
                islice(_search(query, not_before, cutoff, rooms, radiologists, busy), query.limit)
            )
            if len(first) == query.limit or cutoff == not_after:
                break
            span *= 4
        found = iter(first)
    for start, room_id, rad_id in found:
        yield Slot(_dt(start, query.tz), _dt(start + duration, query.tz), room_id, rad_id)


def _search(
    query: SlotQuery,
    not_before: int,
    not_after: int,
    rooms: Sequence[RoomCalendar],
    radiologists: Sequence[RadiologistCalendar],
    busy: Busy,
) -> Iterator[tuple[int, int, int]]:
    """(start, room id, radiologist id) of the free slots within [not_before, not_after]."""
    duration = query.duration // _US
    if not_before + duration > not_after:
        return iter(())
    tz = query.tz
    # Only what lies near the search span is converted (a day of margin either side, which also
    # covers the hour of error of comparing two datetimes of one zone on wall-clock fields).
    lo, hi = _dt(not_before - _DAY_US, tz), _dt(not_after + _DAY_US, tz)

    def near(intervals: Sequence[Interval]) -> list[Interval]:
        return [iv for iv in intervals if iv.end > lo and iv.start < hi]

    span = _Span(not_before, not_after, duration, query.step // _US)
    patient = _busy_index(near(busy.patient))
    skill = query.needs_radiologist_skill
    rads = [
        (
            rad.radiologist_id,
            [(iv, only) for iv, only in rad.present if iv.end > lo and iv.start < hi],
        )
        for rad in sorted(radiologists, key=lambda r: r.radiologist_id)
        if skill is None or skill in rad.skills
    ]
    rad_busy: dict[int, _BusyIndex] = {}
    streams: list[Iterator[tuple[int, int, int]]] = []
    for room in sorted(rooms, key=lambda r: r.room_id):
        if room.modality != query.modality:
            continue
        windows = _merged(near(room.open))
        if not windows:
            continue
        room_busy = _busy_index(near(busy.rooms.get(room.room_id, ())))
        for rad_id, present in rads:
            presence = _merged([iv for iv, only in present if only in (None, room.room_id)])
            if not presence:
                continue
            if rad_id not in rad_busy:
                rad_busy[rad_id] = _busy_index(near(busy.radiologists.get(rad_id, ())))
            streams.append(
                _pair_starts(
                    windows,
                    presence,
                    (room_busy, rad_busy[rad_id], patient),
                    room.room_id,
                    rad_id,
                    span,
                    tz,
                )
            )
    merged: Iterator[tuple[int, int, int]] = heapq.merge(*streams)
    if query.first_per_day:
        merged = _first_per_day(merged, tz)
    return merged


# --- internals -------------------------------------------------------------------------------


def _validate(query: SlotQuery) -> None:
    if query.duration <= timedelta(0):
        raise ValueError("duration must be positive")
    if query.step <= timedelta(0):
        raise ValueError("step must be positive")
    if query.limit is not None and query.limit < 1:
        raise ValueError("limit must be at least 1 (or None for every slot)")


def _us(dt: datetime, what: str) -> int:
    """Microseconds since the epoch (exact, offset-aware)."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime, got {dt!r}")
    return (dt - _EPOCH) // _US


def _dt(us: int, tz: tzinfo) -> datetime:
    return (_EPOCH + timedelta(microseconds=us)).astimezone(tz)


def _offset(us: int, tz: tzinfo) -> int:
    offset = _dt(us, tz).utcoffset()
    assert offset is not None
    return offset // _US


def _pairs(intervals: Sequence[Interval]) -> list[tuple[int, int]]:
    out = []
    for iv in intervals:
        start, end = _us(iv.start, "start"), _us(iv.end, "end")
        if end < start:
            raise ValueError(f"interval ends before it starts: {iv!r}")
        if end > start:
            out.append((start, end))
    out.sort()
    return out


def _merged(intervals: Sequence[Interval]) -> list[tuple[int, int]]:
    """Sorted, disjoint, non-adjacent intervals covering the same time."""
    out: list[tuple[int, int]] = []
    for start, end in _pairs(intervals):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


_BusyIndex = tuple[list[int], list[int]]  # starts, ends of disjoint sorted intervals


def _busy_index(intervals: Sequence[Interval]) -> _BusyIndex:
    merged = _merged(intervals)
    return [s for s, _ in merged], [e for _, e in merged]


@dataclass(frozen=True, slots=True)
class _Span:
    not_before: int
    not_after: int
    duration: int
    step: int


class _Grid:
    """Instants whose local wall-clock time is the window's start plus a multiple of ``step``.

    Split into segments of constant UTC offset, so each segment is an arithmetic progression.
    """

    __slots__ = ("origin", "segments", "step")

    def __init__(self, start: int, end: int, step: int, tz: tzinfo) -> None:
        self.step = step
        offset = _offset(start, tz)
        self.origin = start + offset  # wall-clock start, as microseconds of a naive epoch
        self.segments: list[tuple[int, int, int]] = []
        seg_start = start
        # A zone changes offset at most once a day: look day by day, bisect where it changes.
        chunk = start
        while chunk < end:
            chunk_end = min(end, chunk + _DAY_US)
            if _offset(chunk_end - 1, tz) != offset:
                lo, hi = chunk, chunk_end - 1  # offset(lo) == offset, offset(hi) differs
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if _offset(mid, tz) == offset:
                        lo = mid
                    else:
                        hi = mid
                self.segments.append((seg_start, hi, offset))
                seg_start, offset = hi, _offset(hi, tz)
                chunk = hi
            else:
                chunk = chunk_end
        self.segments.append((seg_start, end, offset))

    def next(self, t: int) -> int:
        """The first grid instant at or after ``t`` (``_NEVER`` if none in the window)."""
        for seg_start, seg_end, offset in self.segments:
            if t < seg_end:
                c = t if t > seg_start else seg_start
                c += (self.origin - offset - c) % self.step
                if c < seg_end:
                    return c
        return _NEVER


def _pair_starts(
    windows: list[tuple[int, int]],
    presence: list[tuple[int, int]],
    busy: tuple[_BusyIndex, ...],
    room_id: int,
    rad_id: int,
    span: _Span,
    tz: tzinfo,
) -> Iterator[tuple[int, int, int]]:
    """Free starts of one (room, radiologist) pair, in time order."""
    duration, step = span.duration, span.step
    # Skip windows that end before the search starts.
    i = bisect_right([e for _, e in windows], span.not_before)
    j = bisect_right([e for _, e in presence], span.not_before)
    grid: _Grid | None = None
    grid_of = -1
    while i < len(windows) and j < len(presence):
        w_start, w_end = windows[i]
        p_start, p_end = presence[j]
        if max(w_start, p_start) >= span.not_after:
            return
        lo = max(w_start, p_start, span.not_before)
        hi = min(w_end, p_end, span.not_after)
        if lo + duration <= hi:
            if grid is None or grid_of != i:
                grid, grid_of = _Grid(w_start, w_end, step, tz), i
            t = grid.next(lo)
            while t + duration <= hi:
                blocked_until = _blocked_until(busy, t, t + duration)
                if blocked_until > t:
                    t = grid.next(blocked_until)
                else:
                    yield t, room_id, rad_id
                    t = grid.next(t + 1)
        if w_end <= p_end:
            i += 1
        else:
            j += 1


def _blocked_until(busy: tuple[_BusyIndex, ...], start: int, end: int) -> int:
    """``start`` if [start, end) is free, else the latest end of a busy interval overlapping it."""
    until = start
    for starts, ends in busy:
        k = bisect_right(ends, start)  # first interval ending after start
        if k < len(starts) and starts[k] < end and ends[k] > until:
            until = ends[k]
    return until


def _first_per_day(
    stream: Iterator[tuple[int, int, int]], tz: tzinfo
) -> Iterator[tuple[int, int, int]]:
    seen: date | None = None
    for item in stream:
        day = _dt(item[0], tz).date()
        if day != seen:
            seen = day
            yield item
