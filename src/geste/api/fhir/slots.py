"""Slots for FHIR: the scheduling selectors' search (the pages' own), minus other clients' holds.

Slot search is capacity only (`search_slots`); `$find` adds the patient's prerequisites
(`geste.pathway.booking.earliest_slots`: validated indication, blood-test lead time,
anticoagulant hold), the same guard as the booking pages.

Holds are `geste.scheduling.models.SlotHold`, and the engine itself keeps every unexpired hold
out of every search (`calendars.load_busy`), pages and JSON API included, except a patient's
own holds in a search for that patient. What is left here is the one case the engine cannot
tell: another client's hold for the same patient, which still blocks (a hold is its client's).
A Slot search without a patient therefore no longer lists a held time, even to its holder.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from geste.api.fhir.mappers.scheduling import SlotKey
from geste.clinic.models import Procedure
from geste.pathway.booking import earliest_slots
from geste.scheduling.models import SlotHold
from geste.scheduling.selectors import SlotOption, search_slots

# A hold may cover several grid starts; ask the engine for this many more per such hold.
_PER_HOLD = 12
FIRST_WINDOW = timedelta(days=7)


def hold_key(h: SlotHold) -> SlotKey:
    return SlotKey(h.kind, h.procedure_id, h.room_id, h.radiologist_id, h.start)


def same_patient_holds(
    first: datetime, last: datetime, *, patient: Any, user: Any
) -> list[SlotHold]:
    """Other clients' unexpired holds for this patient: the ones the engine lets through."""
    if patient is None:
        return []
    qs = SlotHold.objects.unexpired().filter(patient=patient, start__lt=last, end__gt=first)
    if user is not None:
        qs = qs.exclude(holder=user)
    return list(qs)


def _clear(option: SlotOption, holds: list[SlotHold]) -> bool:
    return not any(
        h.start < option.end
        and h.end > option.start
        and (h.room_id == option.room.pk or h.radiologist_id == option.radiologist.pk)
        for h in holds
    )


def free(
    *,
    procedure: Procedure,
    kind: str,
    not_before: datetime,
    not_after: datetime,
    limit: int,
    user: Any = None,
    patient: Any = None,
    safe: bool = False,
) -> list[tuple[SlotKey, SlotOption]]:
    """Up to `limit` free slots, earliest first, none overlapping another client's hold."""
    not_before = max(not_before, timezone.now())
    holds = same_patient_holds(not_before, not_after, patient=patient, user=user)
    ask = limit + _PER_HOLD * len(holds)
    # A week first, then the whole span: the search loads calendars and bookings for its whole
    # span, and the first slots are nearly always in the first week. The week's answer is
    # exactly the beginning of the whole span's answer (slots come earliest first, and a slot
    # the week's end cuts off starts after every slot the week returns), so when the week
    # gives enough slots they are the same slots.
    first_window = min(not_after, not_before + FIRST_WINDOW)
    for window_end in dict.fromkeys((first_window, not_after)):
        found = _search(
            procedure=procedure,
            kind=kind,
            not_before=not_before,
            not_after=window_end,
            limit=ask,
            patient=patient,
            safe=safe,
            actor=user,
        )
        if len(found) >= ask:
            break
    out = []
    for option in found:
        if holds and not _clear(option, holds):
            continue
        key = SlotKey(kind, procedure.pk, option.room.pk, option.radiologist.pk, option.start)
        out.append((key, option))
        if len(out) >= limit:
            break
    return out


def _search(
    *,
    procedure: Procedure,
    kind: str,
    not_before: datetime,
    not_after: datetime,
    limit: int,
    patient: Any,
    safe: bool,
    actor: Any = None,
) -> list[SlotOption]:
    if safe:
        return earliest_slots(
            procedure=procedure,
            patient=patient,
            kind=kind,
            not_before=not_before,
            not_after=not_after,
            limit=limit,
            actor=actor,
        )
    return search_slots(
        procedure=procedure,
        kind=kind,
        not_before=not_before,
        not_after=not_after,
        patient=patient,
        limit=limit,
    )


def still_free(key: SlotKey, *, patient: Any = None, user: Any = None) -> SlotOption | None:
    """The slot, if the engine still offers it (hours, roster, skill, bookings, offers) and no
    other client holds it."""
    procedure = Procedure.objects.filter(pk=key.procedure_id).first()
    if procedure is None:
        return None
    # Search a window just around the start: the engine answers for that exact grid point.
    for _key, option in free(
        procedure=procedure,
        kind=key.kind,
        not_before=key.start,
        not_after=key.start + timedelta(hours=12),
        limit=50,
        user=user,
        patient=patient,
    ):
        if (
            option.start == key.start
            and option.room.pk == key.room_id
            and option.radiologist.pk == key.radiologist_id
        ):
            return option
        if option.start > key.start:
            break
    return None


def held_by_other(key: SlotKey, end: datetime, user: Any) -> bool:
    """Whether another client's unexpired hold keeps the room or the radiologist then."""
    return (
        SlotHold.objects.unexpired()
        .filter(start__lt=end, end__gt=key.start)
        .filter(Q(room_id=key.room_id) | Q(radiologist_id=key.radiologist_id))
        .exclude(holder=user)
        .exists()
    )
