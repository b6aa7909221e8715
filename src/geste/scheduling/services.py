"""Booking primitives: book, move, cancel, mark no-show a time in the calendar.

These know rooms, radiologists and patients, not requests: the clinical guard, the session
length and the request's state live one floor up, in `geste.pathway.booking`, which is the
only caller (import-linter forbids pages, the API and crisis to call these directly).

Every write runs the same recipe (DESIGN.md, house style 4) inside the caller's transaction:
lock the room, the radiologist and the patient rows (one fixed order), re-check that nothing
active overlaps, then write. On PostgreSQL, exclusion constraints (migration 0003) back the
check: if two writers ever got past it together, the database refuses the second one,
reported as `SlotTaken` too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geste import PARIS
from geste.audit.services import Actor, log_action
from geste.clinic.models import Procedure, Role, Room, User
from geste.scheduling import capacity, locking
from geste.scheduling.errors import BookingError, SlotTaken
from geste.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    HoldStatus,
    OfferStatus,
    ReminderSent,
    SlotHold,
    WaitlistOffer,
)

OVERRIDE_ROLES = frozenset({Role.RADIOLOGIST, Role.ADMINISTRATOR})


# A batch's calendars (opening hours, closures, holidays, rosters, skills), read once per
# batch: see calendars_for_batch.
_batch_calendars: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar(
    "batch_calendars", default=None
)


@contextmanager
def calendars_for_batch() -> Iterator[None]:
    """Inside the block, the capacity check reads each room's and radiologist's calendar for
    given dates once and keeps it for the block's other bookings. Only for a batch whose every
    booking takes a time its own slot search has just found free in the calendars read fresh
    (the recovery plan's acceptance): the check is then a second reading, and a calendar
    changed during the batch is still seen by the next searches."""
    token = _batch_calendars.set({})
    try:
        yield
    finally:
        _batch_calendars.reset(token)


def _read(key: tuple[Any, ...], read: Callable[[], Any]) -> Any:
    memo = _batch_calendars.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]


def _overlapping(start: datetime, end: datetime) -> Any:
    return Appointment.objects.filter(status__in=ACTIVE_STATUSES, start__lt=end, end__gt=start)


def _check_capacity(
    *, kind: str, procedure: Procedure, room: Room, radiologist: Any, start: datetime, end: datetime
) -> None:
    """Opening hours, closures, holidays, roster, skills and room modality."""
    if not room.active:
        raise BookingError(_("Cette salle n'est pas en service."))
    if getattr(radiologist, "role", None) != Role.RADIOLOGIST:
        raise BookingError(_("Le praticien choisi n'est pas radiologue."))
    if kind == AppointmentKind.PROCEDURE:
        if not procedure.enabled:
            raise BookingError(_("Cet acte n'est pas réalisé au centre."))
        if room.modality not in {procedure.modality, procedure.alt_modality} - {""}:
            raise BookingError(_("Cette salle n'a pas l'équipement nécessaire pour cet acte."))
        rad_skills = _read(
            ("skills", radiologist.pk), lambda: capacity.skills([radiologist.pk])
        ).get(radiologist.pk, frozenset())
        if procedure.code not in rad_skills:
            raise BookingError(_("Ce radiologue ne pratique pas cet acte."))
    # The room's local dates (its site's zone) lie within a day of the default zone's.
    first = start.astimezone(PARIS).date() - timedelta(days=1)
    last = end.astimezone(PARIS).date() + timedelta(days=1)
    windows = _read(
        ("room", room.pk, first, last), lambda: capacity.room_windows([room.pk], first, last)
    )[room.pk]
    if not capacity.contains(windows, start, end):
        raise BookingError(_("La salle est fermée à cette heure-là."))
    present = _read(
        ("presence", radiologist.pk, room.pk, first, last),
        lambda: capacity.presence([radiologist.pk], first, last, asked_room=room.pk),
    ).get(radiologist.pk, [])
    windows = [iv for iv, only in present if only is None or only == room.pk]
    if not capacity.contains(windows, start, end):
        raise BookingError(_("Le radiologue n'est pas présent à cette heure-là."))


def check_free(
    *,
    start: datetime,
    end: datetime,
    room: Room | int,
    radiologist: Any,
    patient: Any,
    exclude: int | None,
) -> None:
    """Nothing active overlaps, no waiting-list offer holds the room or the radiologist, and
    no unexpired slot hold keeps them for someone else (a hold taken for this very patient lets
    her booking through: that is what it was taken for; its holder then marks it booked).

    One query: the checks are EXISTS subqueries of a single SELECT, written out (the ORM took
    longer to build it than the database to answer: bench/booking.py --profile).
    """
    flags = _free_flags(  # each of room, radiologist, patient: a row or its id
        start=start,
        end=end,
        room_id=room if isinstance(room, int) else room.pk,
        radiologist_id=getattr(radiologist, "pk", radiologist),
        patient_id=getattr(patient, "pk", patient),
        exclude=exclude,
    )
    if flags is None:
        raise BookingError(_("Cette salle n'est pas en service."))
    if flags[0]:
        raise SlotTaken
    if flags[1]:
        raise SlotTaken(
            _("Ce créneau est proposé à un patient de la liste d'attente. Choisissez-en un autre.")
        )
    if flags[2]:
        raise SlotTaken(_("Ce créneau est retenu pour un autre patient. Choisissez-en un autre."))


def _free_flags(
    *,
    start: datetime,
    end: datetime,
    room_id: int,
    radiologist_id: int,
    patient_id: int,
    exclude: int | None,
) -> tuple[bool, bool, bool] | None:
    """(taken, held by an offer, kept by someone else's hold), or None if the room is gone."""
    ops = connection.ops
    q = ops.quote_name

    def at(value: datetime) -> Any:
        return ops.adapt_datetimefield_value(value)

    appt, offer, hold = (m._meta.db_table for m in (Appointment, WaitlistOffer, SlotHold))
    active = ", ".join(["%s"] * len(ACTIVE_STATUSES))
    overlap = f"{q('start')} < %s AND {q('end')} > %s"
    # Table and column names come from the models; every value is a bound parameter.
    taken = (
        f"SELECT 1 FROM {q(appt)} WHERE status IN ({active}) AND {overlap}"  # noqa: S608
        " AND (room_id = %s OR radiologist_id = %s OR patient_id = %s)"
        + (" AND id <> %s" if exclude is not None else "")
    )
    held = (
        f"SELECT 1 FROM {q(offer)} WHERE status = %s AND expires_at > %s AND {overlap}"  # noqa: S608
        " AND (room_id = %s OR radiologist_id = %s)"
    )
    kept = (
        f"SELECT 1 FROM {q(hold)} WHERE status = %s AND expires_at > %s AND {overlap}"  # noqa: S608
        " AND (room_id = %s OR radiologist_id = %s) AND (patient_id IS NULL OR patient_id <> %s)"
    )
    sql = (
        f"SELECT EXISTS({taken}), EXISTS({held}), EXISTS({kept})"  # noqa: S608
        f" FROM {q(Room._meta.db_table)} WHERE id = %s"
    )
    now = at(timezone.now())
    params: list[Any] = [*(str(v) for v in ACTIVE_STATUSES), at(end), at(start)]
    params += [room_id, radiologist_id, patient_id] + ([exclude] if exclude is not None else [])
    params += [OfferStatus.PENDING.value, now, at(end), at(start), room_id, radiologist_id]
    params += [HoldStatus.HELD.value, now, at(end), at(start), room_id, radiologist_id]
    params += [patient_id, room_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else (bool(row[0]), bool(row[1]), bool(row[2]))


def _insert(appointment: Appointment) -> Appointment:
    """Insert; a breach of the exclusion constraints is reported as SlotTaken (the caller's
    atomic block rolls back to its savepoint)."""
    try:
        appointment.save()
    except IntegrityError as exc:
        if "no_overlap" in str(exc):
            raise SlotTaken from exc
        raise
    return appointment


def _check_override(actor: Any, override_reason: str) -> bool:
    if not override_reason.strip():
        return False
    if getattr(actor, "role", None) not in OVERRIDE_ROLES:
        raise BookingError(_("Seuls un radiologue ou un administrateur peuvent forcer un créneau."))
    return True


def appointment_book(
    *,
    patient: Any,
    kind: str,
    procedure: Procedure,
    start: datetime,
    end: datetime,
    room: Room,
    radiologist: User,
    actor: Actor,
    request: Any = None,
    video: bool = False,
    override_reason: str = "",
) -> Appointment:
    """Book [start, end) in the room with the radiologist; raises SlotTaken or BookingError.

    An override (radiologist or administrator, with a reason) books over an existing
    appointment and is audited as such; it never skips opening hours. Runs inside the
    caller's transaction (the lock refuses to run outside one).
    """
    if kind not in AppointmentKind.values:
        raise BookingError(_("Type de rendez-vous inconnu."))
    if start.tzinfo is None:
        raise BookingError(_("L'heure doit préciser son fuseau horaire."))
    if start < timezone.now():
        raise BookingError(_("Ce créneau est déjà passé."))
    override = _check_override(actor, override_reason)
    _check_capacity(
        kind=kind, procedure=procedure, room=room, radiologist=radiologist, start=start, end=end
    )
    locking.lock_resources(room_id=room.pk, radiologist_id=radiologist.pk, patient_id=patient.pk)
    if not override:
        check_free(
            start=start, end=end, room=room, radiologist=radiologist, patient=patient, exclude=None
        )
    appointment = _insert(
        Appointment(
            patient=patient,
            request=request,
            kind=kind,
            procedure=procedure,
            room=room,
            radiologist=radiologist,
            start=start,
            end=end,
            video=video and kind == AppointmentKind.CONSULTATION,
            booked_by=actor if isinstance(actor, User) else None,
            override_reason=override_reason.strip() if override else "",
        )
    )
    log_action(
        actor=actor,
        action="appointment.overridden" if override else "appointment.booked",
        obj=appointment,
        patient=patient,
        details={"kind": kind, "start": start.isoformat(), "room": room.pk},
    )
    return appointment


def appointment_move(
    *,
    appointment: Appointment,
    start: datetime,
    actor: Actor,
    room: Room | None = None,
    radiologist: User | None = None,
    reason: str = "",
) -> Appointment:
    """Move a booked appointment to another start (and room, radiologist), same checks; the
    length stays. Runs inside the caller's transaction; returns the locked, saved row. The
    reason, when given, goes into the audit event."""
    if appointment.status != AppointmentStatus.BOOKED:
        raise BookingError(_("Seul un rendez-vous programmé peut être déplacé."))
    if start < timezone.now():
        raise BookingError(_("Ce créneau est déjà passé."))
    room = room or appointment.room
    radiologist = radiologist or appointment.radiologist
    end = start + (appointment.end - appointment.start)
    _check_capacity(
        kind=appointment.kind,
        procedure=appointment.procedure,
        room=room,
        radiologist=radiologist,
        start=start,
        end=end,
    )
    old = {"start": appointment.start.isoformat(), "room": appointment.room_id}
    locking.lock_resources(
        room_id=room.pk, radiologist_id=radiologist.pk, patient_id=appointment.patient_id
    )
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if locked.status != AppointmentStatus.BOOKED:
        raise BookingError(_("Seul un rendez-vous programmé peut être déplacé."))
    check_free(
        start=start,
        end=end,
        room=room,
        radiologist=radiologist,
        patient=appointment.patient,
        exclude=locked.pk,
    )
    locked.start, locked.end, locked.room, locked.radiologist = start, end, room, radiologist
    try:
        locked.save(update_fields=["start", "end", "room", "radiologist"])
    except IntegrityError as exc:
        if "no_overlap" in str(exc):
            raise SlotTaken from exc
        raise
    # A reminder already sent named the old time: let the new time get its own.
    ReminderSent.objects.filter(appointment=locked).delete()
    log_action(
        actor=actor,
        action="appointment.moved",
        obj=locked,
        patient=locked.patient,
        details={
            "from": old,
            "to": {"start": start.isoformat(), "room": room.pk},
            **({"reason": reason.strip()} if reason.strip() else {}),
        },
    )
    return locked


def appointment_cancel(*, appointment: Appointment, actor: Actor, reason: str) -> Appointment:
    """Cancel (reason required), inside the caller's transaction; returns the locked row."""
    if not reason or not reason.strip():
        raise BookingError(_("Indiquez le motif de l'annulation."))
    locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if locked.status != AppointmentStatus.BOOKED:
        raise BookingError(_("Ce rendez-vous ne peut plus être annulé."))
    locked.status = AppointmentStatus.CANCELLED
    locked.cancel_reason = reason.strip()
    locked.save(update_fields=["status", "cancel_reason"])
    log_action(actor=actor, action="appointment.cancelled", obj=locked, patient=locked.patient)
    return locked


def appointment_mark_no_show(*, appointment: Appointment, actor: Actor) -> Appointment:
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.status != AppointmentStatus.BOOKED:
            raise BookingError(_("Seul un rendez-vous programmé peut être noté absent."))
        if locked.start > timezone.now():
            raise BookingError(_("Le rendez-vous n'a pas encore commencé."))
        locked.status = AppointmentStatus.NO_SHOW
        locked.save(update_fields=["status"])
        log_action(actor=actor, action="appointment.no_show", obj=locked, patient=locked.patient)
    appointment.refresh_from_db()
    return appointment
