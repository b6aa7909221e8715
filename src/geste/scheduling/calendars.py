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
from datetime import date, time, timedelta

from django.db import connection
from django.db.models import BigIntegerField, Func
from django.utils import timezone

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
    """Four small queries for the whole span of local (Europe/Paris) dates, inclusive."""
    ids = list(room_ids)
    open_days = [d for d in days(first, last) if not is_public_holiday(d)]
    weekly: dict[tuple[int, int], list[tuple[time, time]]] = defaultdict(list)
    for room_id, weekday, start, end in OpeningHours.objects.filter(room_id__in=ids).values_list(
        "room_id", "weekday", "start", "end"
    ):
        weekly[(room_id, weekday)].append((start, end))
    lo, hi = local_us(first, time.min), local_us(last + timedelta(days=1), time.min)
    closures: dict[int | None, list[Pair]] = defaultdict(list)
    for room_id, c_start, c_end in Closure.objects.filter(
        start__lt=from_us(hi), end__gt=from_us(lo)
    ).values_list("room_id", "start", "end"):
        closures[room_id].append((to_us(c_start), to_us(c_end)))
    cal = Calendars()
    for room_id in ids:
        windows = [
            (local_us(day, o), local_us(day, c))
            for day in open_days
            for o, c in weekly.get((room_id, day.weekday()), ())
        ]
        cuts = closures.get(None, []) + closures.get(room_id, [])
        cal.rooms[room_id] = merged(subtract(windows, cuts) if cuts else windows)
    roster: dict[int, dict[int, list[tuple[time, time, int | None]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for rad_id, weekday, start, end, only in RosterEntry.objects.values_list(
        "radiologist_id", "weekday", "start", "end", "room_id"
    ):
        roster[rad_id][weekday].append((start, end, only))
    for rad_id, by_day in roster.items():
        cal.presence[rad_id] = [
            (local_us(day, b), local_us(day, f), only)
            for day in open_days
            for b, f, only in by_day.get(day.weekday(), ())
        ]
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
