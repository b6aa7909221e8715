"""Capacity from the database: opening windows, radiologists' presence and skills.

Opening windows are the rooms' weekly opening hours on each local date of the room's site,
minus French public holidays (of the site's region: Alsace-Moselle adds Good Friday and
26 December) and closures. Local times are combined with the date in the site's time zone
(`Site.time_zone`, Europe/Paris by default; the zone rides on the rows already read), so a
window keeps its wall-clock hours on the day of a daylight-saving change, and 08:00 at a site
in Cayenne is 08:00 there. A radiologist's roster entry restricted to a room is read in that
room's zone; an unrestricted one in the zone of the room it is checked against (`zone`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import Any

import holidays
from django.db.models import CharField, Subquery, Value

from geste import PARIS
from geste.clinic.models import Room
from geste.clinic.selectors import site_zone
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


def local_at(day: date, at: time, tz: tzinfo = PARIS) -> datetime:
    return datetime.combine(day, at, tzinfo=tz)


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
    """Opening windows of each room between two of its local dates (inclusive)."""
    ids = list(room_ids)
    weekly: dict[tuple[int, int], list[tuple[time, time]]] = defaultdict(list)
    # The site's holiday region and time zone ride on the opening hours (a room without hours
    # has no window).
    regions: dict[int, str] = {}
    zones: dict[int, tzinfo] = {}
    for room_id, weekday, opens, closes, region, zone in OpeningHours.objects.filter(
        room_id__in=ids
    ).values_list(
        "room_id", "weekday", "start", "end", "room__site__holiday_region", "room__site__time_zone"
    ):
        weekly[(room_id, weekday)].append((opens, closes))
        regions[room_id] = region
        zones[room_id] = site_zone(zone)
    # Closures over the span in any zone (a day more each side: cuts outside change nothing).
    span_start = local_at(first - timedelta(days=1), time.min)
    span_end = local_at(last + timedelta(days=2), time.min)
    closures: dict[int | None, list[Interval]] = defaultdict(list)
    for room_id, start, end in Closure.objects.filter(
        start__lt=span_end, end__gt=span_start
    ).values_list("room_id", "start", "end"):
        closures[room_id].append(Interval(start, end))
    out: dict[int, list[Interval]] = {}
    for room_id in ids:
        windows: list[Interval] = []
        region, tz = regions.get(room_id, ""), zones.get(room_id, PARIS)
        for day in days(first, last):
            if is_public_holiday(day, region):
                continue
            for open_at, close_at in weekly.get((room_id, day.weekday()), ()):
                windows.append(Interval(local_at(day, open_at, tz), local_at(day, close_at, tz)))
        out[room_id] = _subtract(windows, closures.get(None, []) + closures.get(room_id, []))
    return out


def presence(
    radiologist_ids: Iterable[int] | None,
    first: date,
    last: date,
    zone: tzinfo = PARIS,
    asked_room: int | None = None,
) -> dict[int, list[tuple[Interval, int | None]]]:
    """Each radiologist's rostered windows (with the room they are restricted to, if any): an
    entry restricted to a room in that room's site's zone and without its region's public
    holidays, an unrestricted one in the zone and region of `asked_room` (the room it is
    checked against, read in the same query) or else `zone` and national holidays; between
    two local dates (inclusive)."""
    qs = RosterEntry.objects.all()
    if radiologist_ids is not None:
        qs = qs.filter(radiologist_id__in=list(radiologist_ids))
    asked: Any = Value("", output_field=CharField())
    asked_region: Any = Value("", output_field=CharField())
    if asked_room is not None:
        site = Room.objects.filter(pk=asked_room)
        asked = Subquery(site.values("site__time_zone")[:1])
        asked_region = Subquery(site.values("site__holiday_region")[:1])
    weekly: dict[int, dict[int, list[tuple[time, time, int | None, tzinfo, str]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for (
        rad_id,
        weekday,
        start,
        end,
        room_id,
        room_zone,
        region,
        asked_zone,
        asked_at,
    ) in qs.annotate(asked_zone=asked, asked_region=asked_region).values_list(
        "radiologist_id",
        "weekday",
        "start",
        "end",
        "room_id",
        "room__site__time_zone",
        "room__site__holiday_region",
        "asked_zone",
        "asked_region",
    ):
        if room_id is not None:
            tz = site_zone(room_zone)
        else:
            tz = site_zone(asked_zone) if asked_zone else zone
            region = asked_at or ""
        weekly[rad_id][weekday].append((start, end, room_id, tz, region or ""))
    out: dict[int, list[tuple[Interval, int | None]]] = {}
    for rad_id, by_day in weekly.items():
        entries: list[tuple[Interval, int | None]] = []
        for day in days(first, last):
            for begin, finish, only_room, where, region in by_day.get(day.weekday(), ()):
                if is_public_holiday(day, region):
                    continue
                entries.append(
                    (Interval(local_at(day, begin, where), local_at(day, finish, where)), only_room)
                )
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
