"""The slot engine: free (room, radiologist) starts on integer time (microseconds, UTC).

This is the one implementation of slot search. `geste.planning.slots` is its datetime façade
(aware datetimes in, `Slot` out); `geste.scheduling.calendars` loads these plain calendars from
the database as integers and calls `free_starts` directly.

Rules a start ``t`` of a slot [t, t + duration) obeys:
- the slot lies inside one opening window of the room (windows that overlap or touch are one
  window) and inside the presence of the radiologist (presence windows restricted to another
  room do not count; touching ones join);
- the radiologist has the skill asked for, if any; the caller picks the rooms (modality);
- it overlaps no busy interval of the room, of the radiologist or of the patient (intervals
  are half-open: a slot may start when a busy interval ends);
- not_before <= t and t + duration <= not_after;
- t is on the step grid of its opening window counted in LOCAL wall-clock time (``tz``): the
  wall-clock time of t minus that of the window's start is a multiple of ``step``. The duration
  is real (absolute) time.

Why integers: Python compares and subtracts two aware datetimes that share a tzinfo on their
wall-clock fields, ignoring the UTC offset, which is wrong by an hour across a daylight-saving
change; integers are also what makes a 90-day search cheap. The wall-clock grid is rebuilt from
the zone's UTC offset on each side of a change: a wall-clock time that does not exist (the
spring-forward hour) gives no slot; one that occurs twice (the fall-back hour) gives two
distinct instants. Checked against a minute-by-minute brute force in
`tests/planning/test_slot_oracle.py`.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache

from geste import PARIS

__all__ = [
    "PARIS",
    "BusyIndex",
    "BusyTimes",
    "Calendars",
    "Pair",
    "Search",
    "busy_append",
    "busy_index",
    "first_per_day",
    "free_starts",
    "from_us",
    "local_us",
    "merged",
    "subtract",
    "to_us",
]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_DAY_US = 86_400_000_000
_NEVER = 1 << 62

Pair = tuple[int, int]
BusyIndex = tuple[list[int], list[int]]  # starts, ends of disjoint sorted intervals


# --- time --------------------------------------------------------------------------------------


def to_us(dt: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (exact, offset-aware)."""
    return (dt - _EPOCH) // _US


def from_us(us: int, tz: tzinfo = PARIS) -> datetime:
    return (_EPOCH + timedelta(microseconds=us)).astimezone(tz)


@lru_cache(maxsize=65_536)
def local_us(day: date, at: time, tz: tzinfo = PARIS) -> int:
    """A local wall-clock time of a date, as epoch microseconds (fold 0 when it repeats)."""
    return to_us(datetime.combine(day, at, tzinfo=tz))


@lru_cache(maxsize=65_536)
def _offset(us: int, tz: tzinfo) -> int:
    offset = from_us(us, tz).utcoffset()
    assert offset is not None
    return offset // _US


# --- intervals ---------------------------------------------------------------------------------


def merged(pairs: Iterable[Pair]) -> list[Pair]:
    """Sorted, disjoint, non-adjacent intervals covering the same time (empty ones dropped)."""
    out: list[Pair] = []
    for start, end in sorted(pairs):
        if end <= start:
            continue
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def subtract(windows: Sequence[Pair], cuts: Sequence[Pair]) -> list[Pair]:
    """The windows minus the cuts (e.g. opening hours minus closures)."""
    out = list(windows)
    for c_start, c_end in cuts:
        nxt: list[Pair] = []
        for w_start, w_end in out:
            if c_end <= w_start or c_start >= w_end:
                nxt.append((w_start, w_end))
                continue
            if c_start > w_start:
                nxt.append((w_start, c_start))
            if c_end < w_end:
                nxt.append((c_end, w_end))
        out = nxt
    return out


def busy_index(pairs: Iterable[Pair]) -> BusyIndex:
    m = merged(pairs)
    return [s for s, _ in m], [e for _, e in m]


def busy_append(index: BusyIndex, start: int, end: int) -> None:
    """Add an interval to an index, for intervals that arrive sorted by start."""
    starts, ends = index
    if end <= start:
        return
    if starts and start <= ends[-1]:
        if end > ends[-1]:
            ends[-1] = end
    else:
        starts.append(start)
        ends.append(end)


# --- inputs ------------------------------------------------------------------------------------


@dataclass
class Calendars:
    """Opening windows per room, sorted and merged (as `merged` returns them: the grid of a
    window counts from its start, so touching windows must already be one); presence per
    radiologist as (start, end, only room or None), any order; skills per radiologist."""

    rooms: dict[int, list[Pair]] = field(default_factory=dict)
    presence: dict[int, list[tuple[int, int, int | None]]] = field(default_factory=dict)
    skills: Mapping[int, frozenset[str]] = field(default_factory=dict)
    # A room's time zone when it is not the search's (a site elsewhere): its step grid counts
    # in that zone's wall-clock time.
    zones: dict[int, tzinfo] = field(default_factory=dict)


@dataclass
class BusyTimes:
    """What is taken, as indexes (see `busy_index`): per room, per radiologist, the patient."""

    rooms: dict[int, BusyIndex] = field(default_factory=dict)
    radiologists: dict[int, BusyIndex] = field(default_factory=dict)
    patient: BusyIndex = field(default_factory=lambda: ([], []))


@dataclass(frozen=True, slots=True)
class Search:
    duration: int
    step: int
    not_before: int
    not_after: int
    tz: tzinfo = PARIS

    def __post_init__(self) -> None:
        if self.duration <= 0:
            raise ValueError("duration must be positive")
        if self.step <= 0:
            raise ValueError("step must be positive")


# --- the search --------------------------------------------------------------------------------


def free_starts(
    *,
    calendars: Calendars,
    busy: BusyTimes,
    room_ids: Iterable[int],
    skill: str | None,
    search: Search,
) -> Iterator[tuple[int, int, int]]:
    """(start, room id, radiologist id) of every free slot, in that order, lazily.

    One stream per (room, radiologist) pair, merged: a caller that stops early (the first five
    options) pays for little more than what it takes.
    """
    if search.not_before + search.duration > search.not_after:
        return iter(())
    empty: BusyIndex = ([], [])
    grids: dict[Pair, _Grid] = {}
    # Per radiologist, once: presence sorted by start, and where the search starts in it
    # (every entry before ends by not_before). Each pair then merges its presence lazily from
    # there, so a search that stops in the first week does not touch the whole horizon.
    rads = []
    for rad_id, present in sorted(calendars.presence.items()):
        if skill is not None and skill not in calendars.skills.get(rad_id, frozenset()):
            continue
        entries = sorted(present, key=_start)
        first = 0
        for _s, end, _only in entries:
            if end > search.not_before:
                break
            first += 1
        rads.append((rad_id, entries, first))
    streams = []
    for room_id in sorted(set(room_ids)):
        windows = calendars.rooms.get(room_id)
        if not windows:
            continue
        # Skip the windows that end before the search starts.
        i = bisect_right([e for _, e in windows], search.not_before)
        room_busy = busy.rooms.get(room_id, empty)
        for rad_id, entries, first in rads:
            streams.append(
                _pair_starts(
                    windows,
                    i,
                    _presence(entries, first, room_id),
                    (room_busy, busy.radiologists.get(rad_id, empty), busy.patient),
                    room_id,
                    rad_id,
                    search,
                    grids,
                    calendars.zones.get(room_id, search.tz),
                )
            )
    return heapq.merge(*streams)


def first_per_day(
    stream: Iterable[tuple[int, int, int]], tz: tzinfo = PARIS
) -> Iterator[tuple[int, int, int]]:
    """Only the earliest item of each local day."""
    seen: date | None = None
    for item in stream:
        day = from_us(item[0], tz).date()
        if day != seen:
            seen = day
            yield item


class _Grid:
    """Instants of a window whose wall-clock time is the window's start plus a multiple of
    ``step``, split in segments of constant UTC offset (each an arithmetic progression)."""

    __slots__ = ("origin", "segments", "step")

    def __init__(self, start: int, end: int, step: int, tz: tzinfo) -> None:
        self.step = step
        offset = _offset(start, tz)
        self.origin = start + offset  # wall-clock start, as microseconds of a naive epoch
        self.segments: list[tuple[int, int, int]] = []
        seg_start = chunk = start
        # A zone changes offset at most once a day: look day by day, bisect where it changes.
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


def _start(entry: tuple[int, int, int | None]) -> int:
    return entry[0]


def _presence(
    entries: list[tuple[int, int, int | None]], first: int, room_id: int
) -> Iterator[Pair]:
    """The presence usable in a room, merged (touching windows join), from ``first`` on."""
    current: Pair | None = None
    for k in range(first, len(entries)):
        start, end, only = entries[k]
        if (only is not None and only != room_id) or end <= start:
            continue
        if current is None:
            current = (start, end)
        elif start <= current[1]:
            if end > current[1]:
                current = (current[0], end)
        else:
            yield current
            current = (start, end)
    if current is not None:
        yield current


def _pair_starts(
    windows: list[Pair],
    i: int,
    presence: Iterator[Pair],
    busy: tuple[BusyIndex, ...],
    room_id: int,
    rad_id: int,
    q: Search,
    grids: dict[Pair, _Grid],
    tz: tzinfo,
) -> Iterator[tuple[int, int, int]]:
    """Free starts of one (room, radiologist) pair, in time order, from window ``i`` on."""
    duration = q.duration
    present = next(presence, None)
    while i < len(windows) and present is not None:
        w_start, w_end = windows[i]
        p_start, p_end = present
        if max(w_start, p_start) >= q.not_after:
            return
        lo = max(w_start, p_start, q.not_before)
        hi = min(w_end, p_end, q.not_after)
        if lo + duration <= hi:
            grid = grids.get(windows[i])
            if grid is None:
                grid = grids[windows[i]] = _Grid(w_start, w_end, q.step, tz)
            t = grid.next(lo)
            while t + duration <= hi:
                until = _blocked_until(busy, t, t + duration)
                if until > t:
                    t = grid.next(until)
                else:
                    yield t, room_id, rad_id
                    t = grid.next(t + 1)
        if w_end <= p_end:
            i += 1
        else:
            present = next(presence, None)


def _blocked_until(busy: tuple[BusyIndex, ...], start: int, end: int) -> int:
    """``start`` if [start, end) is free, else the latest end of a busy interval overlapping it."""
    until = start
    for starts, ends in busy:
        k = bisect_right(ends, start)  # first interval ending after start
        if k < len(starts) and starts[k] < end and ends[k] > until:
            until = ends[k]
    return until
