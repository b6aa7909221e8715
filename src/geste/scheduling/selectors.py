"""Reads: slot search (issue 4, point 2) and the planner's and agenda's appointments."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from geste.clinic.models import Procedure, Role, Room, User
from geste.planning.slots import (
    Busy,
    Interval,
    RadiologistCalendar,
    RoomCalendar,
    SlotQuery,
    iter_slots,
)
from geste.scheduling import capacity
from geste.scheduling.models import ACTIVE_STATUSES, Appointment, AppointmentKind
from geste.scheduling.prerequisites import prerequisites

# How far ahead a search looks, and in what steps: a first small window, doubled each time
# (most searches end in the first one, which then loads only a few days of appointments).
HORIZON_DAYS = 90
FIRST_CHUNK_DAYS = 3
_CONSULTATION_MODALITY = "consultation"


@dataclass(frozen=True)
class SlotOption:
    start: datetime
    end: datetime
    room: Room
    radiologist: User


def _busy(first: datetime, last: datetime, patient: Any) -> Busy:
    rooms: dict[int, list[Interval]] = defaultdict(list)
    rads: dict[int, list[Interval]] = defaultdict(list)
    mine: list[Interval] = []
    patient_id = getattr(patient, "pk", None)
    for start, end, room_id, rad_id, pid in Appointment.objects.filter(
        status__in=ACTIVE_STATUSES, start__lt=last, end__gt=first
    ).values_list("start", "end", "room_id", "radiologist_id", "patient_id"):
        iv = Interval(start, end)
        rooms[room_id].append(iv)
        rads[rad_id].append(iv)
        if pid == patient_id:
            mine.append(iv)
    return Busy(rooms=rooms, radiologists=rads, patient=mine)


def search_slots(
    *,
    procedure: Procedure,
    kind: str,
    not_before: datetime,
    not_after: datetime,
    patient: Any = None,
    limit: int | None = 5,
    rooms: list[Room] | None = None,
) -> list[SlotOption]:
    """Free slots between two instants (no prerequisites: the caller sets not_before)."""
    if rooms is None:
        rooms = list(Room.objects.filter(active=True))
    if kind == AppointmentKind.CONSULTATION:
        # A consultation needs a radiologist and a room of the centre, whatever its equipment.
        modality, modalities, skill = _CONSULTATION_MODALITY, None, None
        duration = timedelta(minutes=capacity.CONSULTATION_MINUTES)
        step = timedelta(minutes=capacity.CONSULTATION_STEP_MINUTES)
    else:
        modality = procedure.modality
        modalities = {procedure.modality, procedure.alt_modality} - {""}
        skill = procedure.code
        duration = timedelta(minutes=procedure.duration_min)
        step = timedelta(minutes=capacity.PROCEDURE_STEP_MINUTES)
    usable = [r for r in rooms if modalities is None or r.modality in modalities]
    if not usable:
        return []
    first = not_before.astimezone(capacity.PARIS).date()
    last = not_after.astimezone(capacity.PARIS).date()
    windows = capacity.room_windows([r.pk for r in usable], first, last)
    room_cals = [RoomCalendar(r.pk, modality, windows[r.pk]) for r in usable]
    skills = capacity.skills() if skill else {}
    rad_cals = [
        RadiologistCalendar(rad_id, present, skills.get(rad_id, frozenset()))
        for rad_id, present in capacity.presence(None, first, last).items()
    ]
    query = SlotQuery(
        procedure=procedure.code,
        modality=modality,
        duration=duration,
        not_before=not_before,
        not_after=not_after,
        step=step,
        limit=None,
        needs_radiologist_skill=skill,
    )
    # The same radiologist at the same time in two rooms is one option for the patient: keep
    # the first room (the stream is lazy, so this costs nothing when the limit is small).
    slots = []
    seen: set[tuple[datetime, int]] = set()
    for s in iter_slots(query, room_cals, rad_cals, _busy(not_before, not_after, patient)):
        if (s.start, s.radiologist_id) in seen:
            continue
        seen.add((s.start, s.radiologist_id))
        slots.append(s)
        if limit is not None and len(slots) >= limit:
            break
    room_by_id = {r.pk: r for r in usable}
    rads = User.objects.in_bulk({s.radiologist_id for s in slots})
    return [
        SlotOption(
            s.start.astimezone(capacity.PARIS),
            s.end.astimezone(capacity.PARIS),
            room_by_id[s.room_id],
            rads[s.radiologist_id],
        )
        for s in slots
    ]


def earliest_slots(
    *,
    procedure: Procedure,
    patient: Any,
    kind: str,
    not_before: datetime | None = None,
    limit: int = 5,
    video: bool = False,
    request: Any = None,
    horizon_days: int = HORIZON_DAYS,
    not_after: datetime | None = None,
) -> list[SlotOption]:
    """The first `limit` options across rooms and radiologists, prerequisites honoured.

    Searched in windows of 3, 6, 12... days up to the horizon: an early answer costs little.
    """
    pre = prerequisites(
        patient=patient, procedure=procedure, kind=kind, request=request, not_before=not_before
    )
    if pre.blocked:
        return []
    start = pre.not_before
    horizon = not_after or timezone.now() + timedelta(days=horizon_days)
    rooms = list(Room.objects.filter(active=True))
    found: list[SlotOption] = []
    chunk = timedelta(days=FIRST_CHUNK_DAYS)
    while start < horizon and len(found) < limit:
        stop = min(start + chunk, horizon)
        chunk *= 2
        found += search_slots(
            procedure=procedure,
            kind=kind,
            not_before=start,
            not_after=stop,
            patient=patient,
            limit=limit - len(found),
            rooms=rooms,
        )
        start = stop
    return found


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
    return capacity.local_at(day, datetime.min.time()), capacity.local_at(
        day + timedelta(days=1), datetime.min.time()
    )
