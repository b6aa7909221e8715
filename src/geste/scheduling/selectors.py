"""Reads: slot search (issue 4, point 2) and the planner's and agenda's appointments."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from geste import PARIS
from geste.clinic.models import Procedure, Role, Room, User
from geste.clinic.selectors import site_zone
from geste.patients.models import Patient
from geste.planning.slotcore import Search, free_starts, from_us, to_us
from geste.scheduling import capacity
from geste.scheduling.calendars import load_busy, load_calendars
from geste.scheduling.errors import BookingError
from geste.scheduling.forms import parse_slot
from geste.scheduling.models import Appointment, AppointmentKind, WaitlistEntry, WaitlistStatus

_US = timedelta(microseconds=1)
# How far ahead a search looks.
HORIZON_DAYS = 90


@dataclass(frozen=True)
class SlotOption:
    start: datetime
    end: datetime
    room: Room
    radiologist: User


def resolve_slot(value: str) -> SlotOption:
    """A posted slot ("start|room|radiologist", as the pages' radio buttons send it): the
    room and the radiologist it names, or BookingError (French) — never another room."""
    parsed = parse_slot(value or "")
    if parsed is None:
        raise BookingError(_("Choisissez un créneau."))
    start, room_id, radiologist_id = parsed
    room = Room.objects.select_related("site").filter(pk=room_id, active=True).first()
    radiologist = User.objects.filter(pk=radiologist_id, role=Role.RADIOLOGIST).first()
    if room is None or radiologist is None:
        raise BookingError(_("Ce créneau n'existe plus. Choisissez-en un autre."))
    return SlotOption(start, start, room, radiologist)


def search_slots(
    *,
    procedure: Procedure,
    kind: str,
    not_before: datetime,
    not_after: datetime,
    patient: Any = None,
    limit: int | None = 5,
    rooms: list[Room] | None = None,
    duration: timedelta | None = None,
) -> list[SlotOption]:
    """Free slots between two instants. No clinical prerequisites here: the caller
    (`geste.pathway.booking`) sets `not_before` and the session's `duration` (default: the
    catalogue's duration of the procedure).

    Calendars for the whole span and the busy times (one query) are loaded once, then the
    span is searched lazily in memory: an early answer stops the search.
    """
    if rooms is None:
        rooms = list(Room.objects.filter(active=True))
    if kind == AppointmentKind.CONSULTATION:
        # A consultation needs a radiologist and a room of the centre, whatever its equipment.
        modalities, skill = None, None
        duration = timedelta(minutes=capacity.CONSULTATION_MINUTES)
        step = timedelta(minutes=capacity.CONSULTATION_STEP_MINUTES)
    else:
        modalities = {procedure.modality, procedure.alt_modality} - {""}
        skill = procedure.code
        duration = duration or timedelta(minutes=procedure.duration_min)
        step = timedelta(minutes=capacity.PROCEDURE_STEP_MINUTES)
    usable = {r.pk: r for r in rooms if modalities is None or r.modality in modalities}
    lo, hi = to_us(not_before), to_us(not_after)
    if not usable or lo + duration // _US > hi:  # in integers: real time, not the wall clock
        return []
    # The default zone's dates: load_calendars adds a day on each side for other zones.
    first = not_before.astimezone(PARIS).date()
    last = not_after.astimezone(PARIS).date()
    calendars = load_calendars(usable, first, last)
    stream = free_starts(
        calendars=calendars,
        busy=load_busy(lo, hi, getattr(patient, "pk", None)),
        room_ids=usable,
        skill=skill,
        search=Search(duration // _US, step // _US, lo, hi),
    )
    # The same radiologist at the same time in two rooms is one option for the patient: keep
    # the first room (the stream is lazy, so this costs nothing when the limit is small).
    slots: list[tuple[int, int, int]] = []
    seen: set[tuple[int, int]] = set()
    for start, room_id, rad_id in stream:
        if (start, rad_id) in seen:
            continue
        seen.add((start, rad_id))
        slots.append((start, room_id, rad_id))
        if limit is not None and len(slots) >= limit:
            break
    rads = User.objects.in_bulk({rad_id for _s, _r, rad_id in slots})
    return [
        # The end from integers: adding a timedelta to a local datetime is wall-clock
        # arithmetic, an hour off across the autumn change.
        # In the room's zone (its site's; the default's when it is not listed).
        SlotOption(
            from_us(start, calendars.zones.get(room_id, PARIS)),
            from_us(start + duration // _US, calendars.zones.get(room_id, PARIS)),
            usable[room_id],
            rads[rad_id],
        )
        for start, room_id, rad_id in slots
    ]


def appointments_between(
    first: datetime, last: datetime, *, room: Room | None = None, radiologist: Any = None
) -> QuerySet[Appointment]:
    qs = Appointment.objects.filter(start__lt=last, end__gt=first).select_related(
        "patient", "procedure", "room", "radiologist"
    )
    if room is not None:
        qs = qs.filter(room=room)
    if radiologist is not None:
        qs = qs.filter(radiologist=radiologist)
    return qs.order_by("start", "room_id")


def patient_appointments(patient: Any) -> QuerySet[Appointment]:
    return (
        Appointment.objects.filter(patient=patient)
        .select_related("procedure", "room", "room__site", "radiologist")
        .order_by("-start")
    )


def radiologists() -> QuerySet[User]:
    return User.objects.filter(role=Role.RADIOLOGIST, is_active=True).order_by("last_name")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The bounds of a local day in the centre's default zone (see `on_local_days`)."""
    return capacity.local_at(day, datetime.min.time()), capacity.local_at(
        day + timedelta(days=1), datetime.min.time()
    )


def from_local_days(
    zones: Iterable[str],
    *,
    first: date | None = None,
    before: date | None = None,
    zone: str = "room__site__time_zone",
) -> Q:
    """Appointments starting on local day `first` or later and before local day `before`,
    each in its room's site's zone (`zones`: the sites' zone names), exactly, in SQL."""
    out = Q(pk__in=[])
    for name in set(zones):
        tz = site_zone(name)
        q = Q(**{zone: name})
        if first is not None:
            q &= Q(start__gte=capacity.local_at(first, datetime.min.time(), tz))
        if before is not None:
            q &= Q(start__lt=capacity.local_at(before, datetime.min.time(), tz))
        out |= q
    return out


# Every zone's midnight of a day falls within 14 hours of the default zone's (UTC-12 to +14).
_ANY_ZONE = timedelta(hours=14)


def on_local_days(
    first: datetime, last: datetime, *, overlap: bool = False, zone: str = "room__site__time_zone"
) -> Q:
    """Appointments starting (or, with `overlap`, running) within [first, last), bounds of
    local days in the centre's default zone (`day_bounds`), read in each room's site's zone:
    exact for sites in the default zone, widened by 14 hours for the others, whose rows the
    caller keeps when their local date (in the zone that rides on the row) is one of the days.
    One query still; a centre whose sites all share the default zone reads no extra row."""
    default = Q(**{zone: PARIS.key})
    if overlap:
        near = Q(start__lt=last, end__gt=first)
        wide = Q(start__lt=last + _ANY_ZONE, end__gt=first - _ANY_ZONE)
    else:
        near = Q(start__gte=first, start__lt=last)
        wide = Q(start__gte=first - _ANY_ZONE, start__lt=last + _ANY_ZONE)
    return (default & near) | (~default & wide)


def search_patients(query: str, *, limit: int = 20) -> list[Any]:
    """Patients whose names contain the words typed (identity only, for reception)."""
    from django.db.models import Q

    qs = Patient.objects.all()
    for word in query.split()[:4]:
        qs = qs.filter(
            Q(last_name__icontains=word)
            | Q(birth_name__icontains=word)
            | Q(first_names__icontains=word)
        )
    return list(qs.order_by("last_name", "first_names", "pk")[:limit])


def waiting_list() -> list[Any]:
    """Waiting patients in the order offers go out: priority, then waiting time."""
    return list(
        WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING)
        .select_related("patient", "request__procedure", "appointment")
        .order_by("priority", "created_at", "id")
    )
