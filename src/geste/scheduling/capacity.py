"""Capacity from the database: opening windows, radiologists' presence and skills.

Opening windows are the rooms' weekly opening hours on each local (Europe/Paris) date, minus
French public holidays (of the room's site's region: Alsace-Moselle adds Good Friday and
26 December) and closures. Local times are combined with the date in Europe/Paris, so
a window keeps its wall-clock hours on the day of a daylight-saving change.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from geste import PARIS
from geste.planning.slots import Interval
from geste.scheduling.models import Closure, OpeningHours, RadiologistSkill, RosterEntry

# Centre-level default length of a consultation (in person or video), in minutes.
CONSULTATION_MINUTES = 20
CONSULTATION_STEP_MINUTES = 20
PROCEDURE_STEP_MINUTES = 15


@lru_cache(maxsize=64)
def _french_holidays(year: int, region: str) -> frozenset[date]:
    return frozenset(holidays.France(subdiv=region or None, years=year).keys())


def is_public_holiday(day: date, region: str = "") -> bool:
    """A public holiday in France, or in the given subdivision ("57" Alsace-Moselle, ...)."""
    return day in _french_holidays(day.year, region)


def local_at(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=PARIS)


def days(first: date, last: date) -> Iterable[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _subtract(windows: list[Interval], cuts: list[Interval]) -> list[Interval]:
    out = windows
    for cut in cuts:
        nxt: list[Interval] = []
        for w in out:
            if cut.end <= w.start or cut.start >= w.end:
                nxt.append(w)
                continue
            if cut.start > w.start:
                nxt.append(Interval(w.start, cut.start))
            if cut.end < w.end:
                nxt.append(Interval(cut.end, w.end))
        out = nxt
    return out


def room_windows(room_ids: Iterable[int], first: date, last: date) -> dict[int, list[Interval]]:
    """Opening windows of each room between two local dates (inclusive)."""
    ids = list(room_ids)
    weekly: dict[tuple[int, int], list[tuple[time, time]]] = defaultdict(list)
    # The site's holiday region rides on the opening hours (a room without hours has no window).
    regions: dict[int, str] = {}
    for room_id, weekday, opens, closes, region in OpeningHours.objects.filter(
        room_id__in=ids
    ).values_list("room_id", "weekday", "start", "end", "room__site__holiday_region"):
        weekly[(room_id, weekday)].append((opens, closes))
        regions[room_id] = region
    span_start, span_end = local_at(first, time.min), local_at(last + timedelta(days=1), time.min)
    closures: dict[int | None, list[Interval]] = defaultdict(list)
    for room_id, start, end in Closure.objects.filter(
        start__lt=span_end, end__gt=span_start
    ).values_list("room_id", "start", "end"):
        closures[room_id].append(Interval(start, end))
    out: dict[int, list[Interval]] = {}
    for room_id in ids:
        windows: list[Interval] = []
        region = regions.get(room_id, "")
        for day in days(first, last):
            if is_public_holiday(day, region):
                continue
            for open_at, close_at in weekly.get((room_id, day.weekday()), ()):
                windows.append(Interval(local_at(day, open_at), local_at(day, close_at)))
        out[room_id] = _subtract(windows, closures.get(None, []) + closures.get(room_id, []))
    return out


def presence(
    radiologist_ids: Iterable[int] | None, first: date, last: date
) -> dict[int, list[tuple[Interval, int | None]]]:
    """Each radiologist's rostered windows (with the room they are restricted to, if any)."""
    qs = RosterEntry.objects.all()
    if radiologist_ids is not None:
        qs = qs.filter(radiologist_id__in=list(radiologist_ids))
    weekly: dict[int, dict[int, list[tuple[time, time, int | None]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for rad_id, weekday, start, end, room_id in qs.values_list(
        "radiologist_id", "weekday", "start", "end", "room_id"
    ):
        weekly[rad_id][weekday].append((start, end, room_id))
    out: dict[int, list[tuple[Interval, int | None]]] = {}
    for rad_id, by_day in weekly.items():
        entries: list[tuple[Interval, int | None]] = []
        for day in days(first, last):
            if is_public_holiday(day):
                continue
            for begin, finish, only_room in by_day.get(day.weekday(), ()):
                entries.append((Interval(local_at(day, begin), local_at(day, finish)), only_room))
        out[rad_id] = entries
    return out


def skills(radiologist_ids: Iterable[int] | None = None) -> dict[int, frozenset[str]]:
    qs = RadiologistSkill.objects.all()
    if radiologist_ids is not None:
        qs = qs.filter(radiologist_id__in=list(radiologist_ids))
    found: dict[int, set[str]] = defaultdict(set)
    for rad_id, code in qs.values_list("radiologist_id", "procedure__code"):
        found[rad_id].add(code)
    return {k: frozenset(v) for k, v in found.items()}


def contains(windows: Iterable[Interval], start: datetime, end: datetime) -> bool:
    return any(w.start <= start and end <= w.end for w in windows)
