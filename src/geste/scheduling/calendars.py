"""Calendars for the slot engine, loaded from the database as plain integers.

The search itself is `geste.planning.slotcore` (pure, one implementation); this module only
reads opening hours, closures, public holidays, rosters, skills and busy times, and turns them
into the engine's `Calendars` and `BusyTimes` (microseconds since the epoch, UTC). Calendars
are built once per search, and the busy times come from ONE query per search as integers
(PostgreSQL computes the epoch): converting thousands of datetimes cost most of a 90-day
search before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, time, timedelta, tzinfo

from django.db import connection
from django.db.models import BigIntegerField, Func
from django.utils import timezone

from geste import PARIS
from geste.clinic.selectors import site_zone
from geste.planning.slotcore import (
    BusyTimes,
    Calendars,
    Pair,
    busy_append,
    from_us,
    local_us,
    merged,
    subtract,
    to_us,
)
from geste.scheduling.capacity import days, is_public_holiday
from geste.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    Closure,
    OfferStatus,
    OpeningHours,
    RadiologistSkill,
    RosterEntry,
    SlotHold,
    WaitlistOffer,
)


class EpochMicros(Func):
    """A timestamptz column as bigint microseconds since the epoch (PostgreSQL only).

    date_part gives a double (cheaper to compute and ship than EXTRACT's numeric); a double
    holds today's epoch seconds to a quarter of a microsecond, so the rounding is exact.
    """

    template = "round(date_part('epoch', %(expressions)s) * 1000000)::bigint"
    output_field = BigIntegerField()


def load_calendars(room_ids: Iterable[int], first: date, last: date) -> Calendars:
    """Four small queries for the whole span of dates, inclusive (a day more on each side).

    Each room's days are the local dates of its site (`Site.time_zone`, Europe/Paris by
    default) and its holidays those of the site's region; both ride on the opening hours'
    rows. A roster entry restricted to a room is read in that room's zone; an unrestricted one
    in the zone of each room it may serve (one entry per room when the rooms' zones differ).
    The engine's step grid of a room follows its zone (`Calendars.zones`)."""
    ids = list(room_ids)
    # The span's dates are the default zone's: a site's local dates lie within a day of them.
    first, last = first - timedelta(days=1), last + timedelta(days=1)
    weekly: dict[tuple[int, int], list[tuple[time, time]]] = defaultdict(list)
    sites: dict[int, tuple[tzinfo, str]] = {}
    for room_id, weekday, start, end, zone, region in OpeningHours.objects.filter(
        room_id__in=ids
    ).values_list(
        "room_id", "weekday", "start", "end", "room__site__time_zone", "room__site__holiday_region"
    ):
        weekly[(room_id, weekday)].append((start, end))
        sites[room_id] = (site_zone(zone), region)
    all_days = list(days(first, last))
    national = [d for d in all_days if not is_public_holiday(d)]
    open_days: dict[str, list[date]] = {"": national}
    for _tz, region in sites.values():
        if region not in open_days:
            open_days[region] = [d for d in all_days if not is_public_holiday(d, region)]
    lo, hi = local_us(first, time.min), local_us(last + timedelta(days=1), time.min)
    closures: dict[int | None, list[Pair]] = defaultdict(list)
    for room_id, c_start, c_end in Closure.objects.filter(
        start__lt=from_us(hi), end__gt=from_us(lo)
    ).values_list("room_id", "start", "end"):
        closures[room_id].append((to_us(c_start), to_us(c_end)))
    cal = Calendars()
    for room_id in ids:
        tz, region = sites.get(room_id, (PARIS, ""))
        windows = [
            (local_us(day, o, tz), local_us(day, c, tz))
            for day in open_days[region]
            for o, c in weekly.get((room_id, day.weekday()), ())
        ]
        cuts = closures.get(None, []) + closures.get(room_id, [])
        cal.rooms[room_id] = merged(subtract(windows, cuts) if cuts else windows)
        if tz is not PARIS:
            cal.zones[room_id] = tz
    # Where an unrestricted roster entry is read: the one zone of the rooms, or each room's.
    zones = {tz for tz, _region in sites.values()} or {PARIS}
    # (one entry for all the rooms when they share a zone and a holiday region)
    site_regions = {region for _tz, region in sites.values()} or {""}
    single: tzinfo | None = None
    if len(zones) == 1 and len(site_regions) == 1:
        single = next(iter(zones))
    shared_region = next(iter(site_regions))
    roster: dict[int, dict[int, list[tuple[time, time, int | None, tzinfo | None]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    # A roster entry skips its room's region's public holidays (Alsace-Moselle's Good Friday).
    off = {region: set(all_days) - set(kept) for region, kept in open_days.items()}
    regions: dict[int, str] = {}
    for rad_id, weekday, start, end, only, zone, region in RosterEntry.objects.values_list(
        "radiologist_id",
        "weekday",
        "start",
        "end",
        "room_id",
        "room__site__time_zone",
        "room__site__holiday_region",
    ):
        roster[rad_id][weekday].append((start, end, only, site_zone(zone) if only else single))
        if only is not None:
            regions[only] = region or ""
            if regions[only] not in off:
                holiday = {d for d in all_days if is_public_holiday(d, regions[only])}
                off[regions[only]] = holiday
    for rad_id, by_day in roster.items():
        entries: list[tuple[int, int, int | None]] = []
        for day in all_days:
            for b, f, room_only, where in by_day.get(day.weekday(), ()):
                if where is not None:
                    if day in off[regions[room_only] if room_only else shared_region]:
                        continue
                    entries.append((local_us(day, b, where), local_us(day, f, where), room_only))
                    continue
                for serves, (room_tz, region) in sites.items():
                    if day in off[region]:
                        continue
                    entries.append((local_us(day, b, room_tz), local_us(day, f, room_tz), serves))
        cal.presence[rad_id] = entries
    found: dict[int, set[str]] = defaultdict(set)
    for rad_id, code in RadiologistSkill.objects.values_list("radiologist_id", "procedure__code"):
        found[rad_id].add(code)
    cal.skills = {k: frozenset(v) for k, v in found.items()}
    return cal


def load_busy(lo: int, hi: int, patient_id: int | None) -> BusyTimes:
    """Active appointments, held waiting-list offers and unexpired slot holds overlapping
    [lo, hi).

    One query for the appointments, sorted by start, so each index is merged in one pass
    without building intermediate objects (thousands of rows on a busy horizon); one more for
    the offers and the holds together (a few rows). A hold keeps the room and the radiologist
    from everyone but the patient it was taken for: her own search still finds the time, so
    that her holder can book it.
    """
    rows: list[tuple[int, int, int, int, int]]
    qs = Appointment.objects.filter(
        status__in=ACTIVE_STATUSES, start__lt=from_us(hi), end__gt=from_us(lo)
    ).order_by("start")
    if connection.vendor == "postgresql":
        # Integers straight from the cursor: no datetime objects, no per-row ORM converters.
        sql, params = (
            qs.annotate(s=EpochMicros("start"), e=EpochMicros("end"))
            .values_list("s", "e", "room_id", "radiologist_id", "patient_id")
            .query.sql_with_params()
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    else:
        rows = [
            (to_us(s), to_us(e), r, d, p)
            for s, e, r, d, p in qs.values_list(
                "start", "end", "room_id", "radiologist_id", "patient_id"
            )
        ]
    held = SlotHold.objects.unexpired().filter(start__lt=from_us(hi), end__gt=from_us(lo))
    if patient_id is not None:
        held = held.exclude(patient_id=patient_id)  # keeps the holds naming no patient
    held_times = [
        (to_us(s), to_us(e), r, d, p)
        for s, e, r, d, p in WaitlistOffer.objects.filter(
            status=OfferStatus.PENDING,
            expires_at__gt=timezone.now(),
            start__lt=from_us(hi),
            end__gt=from_us(lo),
        )
        .order_by()  # no Meta ordering inside a UNION
        .values_list("start", "end", "room_id", "radiologist_id", "entry__patient_id")
        .union(
            held.values_list("start", "end", "room_id", "radiologist_id", "patient_id"), all=True
        )
    ]
    if held_times:
        rows = sorted([*rows, *held_times])
    busy = BusyTimes()
    rooms, rads = busy.rooms, busy.radiologists
    for s, e, room_id, rad_id, pid in rows:
        busy_append(
            rooms[room_id] if room_id in rooms else rooms.setdefault(room_id, ([], [])), s, e
        )
        busy_append(rads[rad_id] if rad_id in rads else rads.setdefault(rad_id, ([], [])), s, e)
        if pid == patient_id:
            busy_append(busy.patient, s, e)
    return busy
