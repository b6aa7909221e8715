"""Putting a request in time: the one guarded way to list, book, move and cancel appointments
(docs/domain/safety-check.md, "Beyond the check"; docs/domain/pathway.md steps 2-3).

Every path that places a consultation or a procedure in time comes through here: the patient's
booking and "Mes rendez-vous", reception's booking and moves, the staff "programmer le geste",
waiting-list offers and their acceptance, the recovery plan, the JSON API and FHIR. Here:
- the session's length (a crisis policy that groups lesions makes one longer session);
- the clinical guard, asked with the NEW start: no procedure before the end of a drug's hold
  (the engine's `earliest_safe_at`) nor before the blood test can be ready; the refusal names
  the earliest acceptable time;
- the request's state (requested -> consultation_booked, validated -> procedure_booked, and
  back when the appointment is cancelled);
- the waiting list told, after commit, when a time frees.
Below, `geste.scheduling.services` only knows rooms, radiologists and times; import-linter
keeps pages, the API and crisis from calling it directly.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django_tasks import task

from geste.audit.services import Actor, written_at_end
from geste.clinic.messages import message_send, site_link
from geste.clinic.models import MessageKind, Procedure, Room, User
from geste.clinic.selectors import site_zone
from geste.pathway.crisis_gate import crisis_guard, crisis_refusal
from geste.pathway.instructions import (
    booking_dates,
    changed_message,
    fingerprints,
    is_upcoming,
    tell_changed,
    tell_if_changed,
)
from geste.pathway.models import RequestState
from geste.pathway.prerequisites import Prerequisites, prerequisites, site_zones
from geste.pathway.services import request_transition
from geste.pathway.sessions import session_length
from geste.pathway.tasks import offer_freed_slot
from geste.scheduling import services as calendar
from geste.scheduling.errors import BookingError
from geste.scheduling.ics import appointment_ics
from geste.scheduling.models import Appointment, AppointmentKind
from geste.scheduling.selectors import HORIZON_DAYS, SlotOption, search_slots

# Who may book over an existing appointment (with a reason, audited).
OVERRIDE_ROLES = calendar.OVERRIDE_ROLES


def _when(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "l j F Y à H\\hi")


def procedure_guard(
    *,
    patient: Any,
    procedure: Procedure,
    request: Any,
    start: datetime,
    actor: Actor = None,
    room: Room | None = None,
) -> Prerequisites:
    """The clinical guard of a procedure at `start` (the new time, whatever the path).

    Refuses (BookingError, French) a procedure without a validated indication, before the end
    of a drug's hold (the engine's earliest_safe_at), or before the blood test can be ready;
    the message names the earliest acceptable time; during a crisis, a request the policy does
    not maintain is refused to whoever is not staff (pathway.crisis_gate). Returns the
    prerequisites (with the request they concern). The blood test's lead counts the local
    days of `room`'s site."""
    pre = prerequisites(
        patient=patient,
        procedure=procedure,
        kind=AppointmentKind.PROCEDURE,
        request=request,
        room=room,
    )
    if pre.blocked:
        raise BookingError(pre.blocked)
    crisis_guard(request=pre.request, actor=actor)
    if pre.hold_until is not None and start < pre.hold_until:
        raise BookingError(
            _(
                "Trop tôt après la dernière prise d'un traitement anticoagulant ou "
                "antiplaquettaire : pas de geste avant le %(when)s."
            )
            % {"when": _when(pre.not_before)}
        )
    if start < pre.not_before:
        raise BookingError(
            _("Trop tôt pour faire la prise de sang avant le geste : pas avant le %(when)s.")
            % {"when": _when(pre.not_before)}
        )
    return pre


def earliest_slots(
    *,
    procedure: Procedure,
    patient: Any,
    kind: str,
    not_before: datetime | None = None,
    limit: int | None = 5,
    request: Any = None,
    horizon_days: int = HORIZON_DAYS,
    not_after: datetime | None = None,
    rooms: list[Room] | None = None,
    actor: Actor = None,
) -> list[SlotOption]:
    """The first `limit` times that may be offered to `actor`: free in the calendar and
    clinically safe (the same prerequisites as the guard, so no offered time is refused at
    booking); during a crisis none for a procedure the policy does not maintain unless `actor`
    is staff (pathway.crisis_gate: an actor not given is not staff)."""
    pre = prerequisites(
        patient=patient,
        procedure=procedure,
        kind=kind,
        request=request,
        not_before=not_before,
        zones=site_zones,
    )
    if pre.blocked:
        return []
    if kind == AppointmentKind.PROCEDURE and crisis_refusal(pre.request, actor):
        return []
    horizon = not_after or timezone.now() + timedelta(days=horizon_days)
    if pre.not_before >= horizon:
        return []
    found = search_slots(
        procedure=procedure,
        kind=kind,
        not_before=pre.not_before,
        not_after=horizon,
        patient=patient,
        limit=limit,
        rooms=rooms,
        duration=session_length(kind=kind, procedure=procedure, request=pre.request or request),
    )
    by_zone = pre.blood_test_by_zone
    if by_zone and len(set(by_zone.values())) > 1:
        # Sites in several zones: not_before was the earliest zone's; each room's own.
        latest = max(by_zone.values())
        found = [o for o in found if o.start >= by_zone.get(_zone_key(o.start), latest)]
    return found


def _zone_key(moment: datetime) -> str:
    return str(getattr(moment.tzinfo, "key", ""))


# The recovery plan's acceptance: each booking's capacity check reads the calendars once per
# batch (its slot search, earliest_slots, reads them fresh for every booking).
calendars_for_batch = calendar.calendars_for_batch


def appointment_book(
    *,
    patient: Any,
    kind: str,
    procedure: Procedure,
    start: datetime,
    room: Room,
    radiologist: User,
    actor: Actor,
    request: Any = None,
    video: bool = False,
    override_reason: str = "",
    tell_patient: bool = True,
) -> Appointment:
    """Book a consultation or a procedure; raises SlotTaken, ResourceBusy or BookingError.

    A procedure passes the clinical guard at `start`; an override of the calendar (radiologist
    or administrator, with a reason) never skips the guard. The request moves on (requested ->
    consultation_booked, validated -> procedure_booked). The patient is told after commit
    (one message, with the news of changed instructions if any) unless `tell_patient=False`
    (a caller that sends its own message, e.g. crisis mode)."""
    if kind == AppointmentKind.PROCEDURE:
        request = procedure_guard(
            patient=patient,
            procedure=procedure,
            request=request,
            start=start,
            actor=actor,
            room=room,
        ).request
    end = start + session_length(kind=kind, procedure=procedure, request=request)
    # The patient's instructions before the booking, to tell her if it changes them. Only the
    # booked request's can change (its appointment is its own), and a request given its first
    # date changes them for sure ("no date yet" becomes the date): nothing to compute then.
    procedure_request = request if kind == AppointmentKind.PROCEDURE else None
    first_date = procedure_request is not None and booking_dates(procedure_request.pk)
    before = (
        fingerprints(patient, procedure_request.pk)
        if procedure_request is not None and not first_date
        else None
    )
    # The audit events are written at the end: other bookings wait on the chain's lock for
    # the insert and the commit only, not for this booking's reads and checks.
    with written_at_end():
        appointment = calendar.appointment_book(
            patient=patient,
            kind=kind,
            procedure=procedure,
            start=start,
            end=end,
            room=room,
            radiologist=radiologist,
            actor=actor,
            request=request,
            video=video,
            override_reason=override_reason,
        )
        _advance_request(request, kind, actor)
        changed = False
        if procedure_request is not None:
            pk = procedure_request.pk
            if first_date:  # changed if shown now (a request not shown before had none)
                moved = [pk] if is_upcoming(pk) else []
            else:
                after = fingerprints(patient, pk)
                moved = [pk] if after and (before or {}).get(pk) != after[pk] else []
            changed = tell_changed(
                patient=patient, changed=moved, actor=actor, notify=not tell_patient
            )
        if tell_patient:
            booked = (
                MessageKind.PROCEDURE_BOOKED
                if kind == AppointmentKind.PROCEDURE
                else MessageKind.BOOKED
            )
            _tell_on_commit(appointment, booked, changed)
    return appointment


def appointment_move(
    *,
    appointment: Appointment,
    start: datetime,
    actor: Actor,
    room: Room | None = None,
    radiologist: User | None = None,
    reason: str = "",
    tell_patient: bool = True,
) -> Appointment:
    """Move a booked appointment; a procedure passes the clinical guard at its NEW start. The
    patient is told after commit unless `tell_patient=False` (see appointment_book)."""
    before = None
    if appointment.kind == AppointmentKind.PROCEDURE:
        procedure_guard(
            patient=appointment.patient,
            procedure=appointment.procedure,
            request=appointment.request,
            start=start,
            actor=actor,
            room=room or appointment.room,
        )
        before = fingerprints(appointment.patient)
    old_start = appointment.start.isoformat()
    with written_at_end():
        moved = calendar.appointment_move(
            appointment=appointment,
            start=start,
            actor=actor,
            room=room,
            radiologist=radiologist,
            reason=reason,
        )
        transaction.on_commit(lambda: offer_freed_slot.enqueue(moved.pk, old_start))
        changed = before is not None and tell_if_changed(
            patient=appointment.patient, before=before, actor=actor, notify=not tell_patient
        )
        if tell_patient:
            _tell_on_commit(moved, MessageKind.MOVED, changed)
    appointment.refresh_from_db()
    return appointment


def appointment_cancel(
    *, appointment: Appointment, actor: Actor, reason: str, tell_patient: bool = True
) -> Appointment:
    """Cancel (reason required); the request goes back to where it was before the booking and
    the freed time is offered to the waiting list. The patient is told after commit unless
    `tell_patient=False` (see appointment_book)."""
    with written_at_end():
        cancelled = calendar.appointment_cancel(appointment=appointment, actor=actor, reason=reason)
        _release_request(cancelled, actor, reason.strip())
        old_start = cancelled.start.isoformat()
        transaction.on_commit(lambda: offer_freed_slot.enqueue(cancelled.pk, old_start))
        if tell_patient:
            _tell_on_commit(cancelled, MessageKind.CANCELLED, False)
    appointment.refresh_from_db()
    return appointment


def appointment_mark_no_show(*, appointment: Appointment, actor: Actor) -> Appointment:
    return calendar.appointment_mark_no_show(appointment=appointment, actor=actor)


_ADVANCE = {
    (AppointmentKind.CONSULTATION, RequestState.REQUESTED): RequestState.CONSULTATION_BOOKED,
    (AppointmentKind.PROCEDURE, RequestState.VALIDATED): RequestState.PROCEDURE_BOOKED,
}
_RELEASE = {
    (AppointmentKind.CONSULTATION, RequestState.CONSULTATION_BOOKED): RequestState.REQUESTED,
    (AppointmentKind.PROCEDURE, RequestState.PROCEDURE_BOOKED): RequestState.VALIDATED,
}


def _advance_request(request: Any, kind: str, actor: Actor) -> None:
    if request is None:
        return
    target = _ADVANCE.get((AppointmentKind(kind), RequestState(request.state)))
    if target is not None:
        request_transition(request=request, to_state=target, actor=actor)


def _release_request(appointment: Appointment, actor: Actor, reason: str) -> None:
    request = appointment.request
    if request is None:
        return
    back = _RELEASE.get((AppointmentKind(appointment.kind), RequestState(request.state)))
    if back is not None:
        request_transition(request=request, to_state=back, actor=actor, reason=reason)


# ------------------------------------------------------------------------- telling the patient
# One message per patient per action (issue 13, point 1): a time, the centre, a link; never the
# procedure (a "geste programmé" reads like any other appointment). Changed instructions are a
# line of the same message rather than a second one.

_SUBJECTS = {
    MessageKind.BOOKED: _lazy("Votre rendez-vous est confirmé"),
    MessageKind.PROCEDURE_BOOKED: _lazy("Votre rendez-vous est confirmé"),
    MessageKind.MOVED: _lazy("Votre rendez-vous a changé"),
    MessageKind.CANCELLED: _lazy("Votre rendez-vous est annulé"),
}


def appointment_message(appointment: Appointment, kind: str, instructions_changed: bool) -> str:
    local = appointment.start.astimezone(site_zone(appointment.room.site.time_zone))
    values = {
        "date": date_format(local, "l j F Y"),
        "time": local.strftime("%H:%M"),
        "place": _("téléconsultation") if appointment.video else appointment.room.site.name,
    }
    if kind == MessageKind.CANCELLED:
        first = _("Votre rendez-vous du %(date)s à %(time)s (%(place)s) est annulé.") % values
    elif kind == MessageKind.MOVED:
        first = _("Votre rendez-vous est déplacé au %(date)s à %(time)s, %(place)s.") % values
    else:
        first = _("Rendez-vous confirmé le %(date)s à %(time)s, %(place)s.") % values
    lines = [first]
    if instructions_changed:
        lines.append(changed_message())
    lines.append(_("Détails : %(url)s") % {"url": site_link(reverse("portal:my_appointments"))})
    return "\n".join(lines)


def appointment_tell(appointment_id: int, kind: str, instructions_changed: bool) -> None:
    """Send the action's message (after commit)."""
    appointment = (
        Appointment.objects.select_related("patient", "room__site")
        .filter(pk=appointment_id)
        .first()
    )
    if appointment is None:
        return
    attachments = []
    if kind != MessageKind.CANCELLED:
        attachments.append(("rendez-vous.ics", appointment_ics(appointment), "text/calendar"))
    message_send(
        patient_or_address=appointment.patient,
        kind=kind,
        subject=str(_SUBJECTS[MessageKind(kind)]),
        body=appointment_message(appointment, kind, instructions_changed),
        attachments=attachments,
    )


@task()
def tell_patient(appointment_id: int, kind: str, instructions_changed: bool) -> None:
    """appointment_tell() in the task worker: the request that booked does not wait for the
    mail and SMS gateways (inline in tests)."""
    appointment_tell(appointment_id, kind, instructions_changed)


def _tell_on_commit(appointment: Appointment, kind: str, instructions_changed: bool) -> None:
    appointment_id, kind = appointment.pk, str(kind)
    transaction.on_commit(
        lambda: tell_patient.enqueue(appointment_id, kind, bool(instructions_changed))
    )
