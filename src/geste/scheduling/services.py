"""Booking writes: book, move, cancel, mark no-show (issue 4, points 3 and 4).

Every booking runs the same recipe (DESIGN.md, house style 4): inside one transaction, lock the
room, the radiologist and the patient rows (one fixed order), re-check that nothing active
overlaps, then write. On PostgreSQL, exclusion constraints (migration 0003) back the check: if
two writers ever got past it together, the database refuses the second one, reported as
`SlotTaken` too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.clinic.models import Procedure, Role, Room, User
from geste.scheduling import capacity, locking
from geste.scheduling.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    OfferStatus,
    WaitlistOffer,
)
from geste.scheduling.prerequisites import prerequisites


class BookingError(ValueError):
    """A booking refused; the message (French source) says why, for the person booking."""


class SlotTaken(BookingError):
    """The room, the radiologist or the patient already has an appointment at that time."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or _("Ce créneau vient d'être pris. Choisissez-en un autre."))


OVERRIDE_ROLES = frozenset({Role.RADIOLOGIST, Role.ADMINISTRATOR})


def duration_for(kind: str, procedure: Procedure, request: Any = None) -> timedelta:
    """Length of the appointment. During a crisis, a request whose lesions the policy groups
    is one longer session (crisis-triage.md rule 7, fewer trips)."""
    if kind == AppointmentKind.CONSULTATION:
        return timedelta(minutes=capacity.CONSULTATION_MINUTES)
    if request is not None and request.lesion_count > 1:
        # Late import: crisis builds on scheduling, not the other way round.
        from geste.crisis.selectors import session_minutes

        return timedelta(minutes=session_minutes(request))
    return timedelta(minutes=procedure.duration_min)


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
        if procedure.code not in capacity.skills([radiologist.pk]).get(radiologist.pk, frozenset()):
            raise BookingError(_("Ce radiologue ne pratique pas cet acte."))
    first = start.astimezone(capacity.PARIS).date()
    last = end.astimezone(capacity.PARIS).date()
    if not capacity.contains(capacity.room_windows([room.pk], first, last)[room.pk], start, end):
        raise BookingError(_("La salle est fermée à cette heure-là."))
    present = capacity.presence([radiologist.pk], first, last).get(radiologist.pk, [])
    windows = [iv for iv, only in present if only is None or only == room.pk]
    if not capacity.contains(windows, start, end):
        raise BookingError(_("Le radiologue n'est pas présent à cette heure-là."))


def _check_free(
    *,
    start: datetime,
    end: datetime,
    room: Room,
    radiologist: Any,
    patient: Any,
    exclude: int | None,
) -> None:
    """Nothing active overlaps, and no waiting-list offer holds the room or the radiologist.

    One query: both checks are EXISTS subqueries of a single SELECT.
    """
    taken = _overlapping(start, end).filter(
        Q(room=room) | Q(radiologist=radiologist) | Q(patient=patient)
    )
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    held = WaitlistOffer.objects.filter(
        status=OfferStatus.PENDING,
        expires_at__gt=timezone.now(),
        start__lt=end,
        end__gt=start,
    ).filter(Q(room=room) | Q(radiologist=radiologist))
    flags = (
        Room.objects.filter(pk=room.pk)
        .annotate(taken=Exists(taken), held=Exists(held))
        .values_list("taken", "held")
        .first()
    )
    if flags is None:
        raise BookingError(_("Cette salle n'est pas en service."))
    if flags[0]:
        raise SlotTaken
    if flags[1]:
        raise SlotTaken(
            _("Ce créneau est proposé à un patient de la liste d'attente. Choisissez-en un autre.")
        )


def _insert(appointment: Appointment, *, savepoint: bool) -> Appointment:
    """Insert; a breach of the exclusion constraints is reported as SlotTaken.

    A savepoint (two more round trips) only when a caller's transaction encloses ours and
    must stay usable after the refusal; otherwise the refusal rolls everything back anyway.
    """
    try:
        with transaction.atomic(savepoint=savepoint):
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
    room: Room,
    radiologist: User,
    actor: Any,
    request: Any = None,
    video: bool = False,
    override_reason: str = "",
) -> Appointment:
    """Book a consultation or a procedure; raises SlotTaken or BookingError (French message).

    A request given with it moves on (requested -> consultation_booked, validated ->
    procedure_booked). An override (radiologist or administrator, with a reason) books over an
    existing appointment and is audited as such; it never skips opening hours or prerequisites.
    """
    if kind not in AppointmentKind.values:
        raise BookingError(_("Type de rendez-vous inconnu."))
    if start.tzinfo is None:
        raise BookingError(_("L'heure doit préciser son fuseau horaire."))
    if start < timezone.now():
        raise BookingError(_("Ce créneau est déjà passé."))
    override = _check_override(actor, override_reason)
    end = start + duration_for(kind, procedure, request)
    _check_capacity(
        kind=kind, procedure=procedure, room=room, radiologist=radiologist, start=start, end=end
    )
    pre = prerequisites(patient=patient, procedure=procedure, kind=kind, request=request)
    if pre.blocked:
        raise BookingError(pre.blocked)
    if start < pre.not_before:
        raise BookingError(
            _("Pas de geste possible avant le %(date)s (délai de sécurité).")
            % {"date": timezone.localtime(pre.not_before).strftime("%d/%m/%Y %H:%M")}
        )
    request = pre.request if kind == AppointmentKind.PROCEDURE else request
    nested = connection.in_atomic_block
    with transaction.atomic():
        locking.lock_resources(
            room_id=room.pk, radiologist_id=radiologist.pk, patient_id=patient.pk
        )
        if not override:
            _check_free(
                start=start,
                end=end,
                room=room,
                radiologist=radiologist,
                patient=patient,
                exclude=None,
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
                booked_by=actor if getattr(actor, "is_authenticated", False) else None,
                override_reason=override_reason.strip() if override else "",
            ),
            savepoint=nested,
        )
        _advance_request(request, kind, actor)
        log_action(
            actor=actor,
            action="appointment.overridden" if override else "appointment.booked",
            obj=appointment,
            patient=patient,
            details={"kind": kind, "start": start.isoformat(), "room": room.pk},
        )
    return appointment


def _advance_request(request: Any, kind: str, actor: Any) -> None:
    if request is None:
        return
    from geste.pathway.models import RequestState
    from geste.pathway.services import request_transition

    target: str | None = {
        (
            str(AppointmentKind.CONSULTATION),
            str(RequestState.REQUESTED),
        ): RequestState.CONSULTATION_BOOKED,
        (
            str(AppointmentKind.PROCEDURE),
            str(RequestState.VALIDATED),
        ): RequestState.PROCEDURE_BOOKED,
    }.get((str(kind), str(request.state)))
    if target is not None:
        request_transition(request=request, to_state=target, actor=actor)


def _release_request(appointment: Appointment, actor: Any, reason: str) -> None:
    request = appointment.request
    if request is None:
        return
    from geste.pathway.models import RequestState
    from geste.pathway.services import request_transition

    back: str | None = {
        (str(AppointmentKind.CONSULTATION), str(RequestState.CONSULTATION_BOOKED)): (
            RequestState.REQUESTED
        ),
        (str(AppointmentKind.PROCEDURE), str(RequestState.PROCEDURE_BOOKED)): (
            RequestState.VALIDATED
        ),
    }.get((str(appointment.kind), str(request.state)))
    if back is not None:
        request_transition(request=request, to_state=back, actor=actor, reason=reason)


def appointment_move(
    *,
    appointment: Appointment,
    start: datetime,
    actor: Any,
    room: Room | None = None,
    radiologist: User | None = None,
    reason: str = "",
) -> Appointment:
    """Move a booked appointment to another start (and room, radiologist), same checks."""
    if appointment.status != AppointmentStatus.BOOKED:
        raise BookingError(_("Seul un rendez-vous programmé peut être déplacé."))
    if start < timezone.now():
        raise BookingError(_("Ce créneau est déjà passé."))
    room = room or appointment.room
    radiologist = radiologist or appointment.radiologist
    procedure = appointment.procedure
    end = start + (appointment.end - appointment.start)
    _check_capacity(
        kind=appointment.kind,
        procedure=procedure,
        room=room,
        radiologist=radiologist,
        start=start,
        end=end,
    )
    if appointment.kind == AppointmentKind.PROCEDURE:
        pre = prerequisites(
            patient=appointment.patient,
            procedure=procedure,
            kind=appointment.kind,
            request=appointment.request,
        )
        if start < pre.not_before:
            raise BookingError(_("Ce créneau est trop tôt pour les délais de sécurité."))
    old = {"start": appointment.start.isoformat(), "room": appointment.room_id}
    with transaction.atomic():
        locking.lock_resources(
            room_id=room.pk, radiologist_id=radiologist.pk, patient_id=appointment.patient_id
        )
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.status != AppointmentStatus.BOOKED:
            raise BookingError(_("Seul un rendez-vous programmé peut être déplacé."))
        _check_free(
            start=start,
            end=end,
            room=room,
            radiologist=radiologist,
            patient=appointment.patient,
            exclude=locked.pk,
        )
        locked.start, locked.end, locked.room, locked.radiologist = start, end, room, radiologist
        try:
            with transaction.atomic():
                locked.save(update_fields=["start", "end", "room", "radiologist"])
        except IntegrityError as exc:
            if "no_overlap" in str(exc):
                raise SlotTaken from exc
            raise
        # A reminder already sent named the old time: let the new time get its own.
        from geste.scheduling.models import ReminderSent

        ReminderSent.objects.filter(appointment=locked).delete()
        log_action(
            actor=actor,
            action="appointment.moved",
            obj=locked,
            patient=locked.patient,
            details={"from": old, "to": {"start": start.isoformat(), "room": room.pk}},
        )
        transaction.on_commit(lambda: _slot_freed(appointment.pk, old))
    appointment.refresh_from_db()
    return appointment


def appointment_cancel(*, appointment: Appointment, actor: Any, reason: str) -> Appointment:
    """Cancel (reason required); the request goes back to where it was before the booking."""
    if not reason or not reason.strip():
        raise BookingError(_("Indiquez le motif de l'annulation."))
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.status != AppointmentStatus.BOOKED:
            raise BookingError(_("Ce rendez-vous ne peut plus être annulé."))
        locked.status = AppointmentStatus.CANCELLED
        locked.cancel_reason = reason.strip()
        locked.save(update_fields=["status", "cancel_reason"])
        _release_request(locked, actor, reason.strip())
        log_action(actor=actor, action="appointment.cancelled", obj=locked, patient=locked.patient)
        old = {"start": locked.start.isoformat(), "room": locked.room_id}
        transaction.on_commit(lambda: _slot_freed(locked.pk, old))
    appointment.refresh_from_db()
    return appointment


def appointment_mark_no_show(*, appointment: Appointment, actor: Any) -> Appointment:
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


def _slot_freed(appointment_id: int, old: dict[str, Any]) -> None:
    """After commit: offer the freed time to the waiting list (a background task)."""
    from geste.scheduling.tasks import offer_freed_slot

    offer_freed_slot.enqueue(appointment_id, old["start"])
