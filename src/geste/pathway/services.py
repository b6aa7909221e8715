"""Writes on requests. Every state change: atomic, an explicit actor, an audit event."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.pathway.models import Consultation, ProcedureRequest, RequestState, RequestTransition
from geste.pathway.prescriptions import prescriptions_write
from geste.pathway.transitions import can_move
from geste.scheduling.models import Appointment, AppointmentStatus


class TransitionError(ValueError):
    """An illegal state change: the message says which and why, in the user's language."""


def request_transition(
    *,
    request: ProcedureRequest,
    to_state: str,
    actor: Any,
    reason: str = "",
    action: str | None = None,
    details: dict[str, Any] | None = None,
    extra_fields: dict[str, Any] | None = None,
) -> ProcedureRequest:
    """Move a request to `to_state` (pathway.md states), recording who, when and why.

    The row is locked and re-read inside the transaction, so two concurrent moves cannot
    both start from the same state.
    """
    with transaction.atomic():
        locked = ProcedureRequest.objects.select_for_update().get(pk=request.pk)
        from_state = locked.state
        if not can_move(from_state, to_state):
            raise TransitionError(
                _("Impossible de passer la demande de « %(a)s » à « %(b)s ».")
                % {
                    "a": RequestState(from_state).label,
                    "b": RequestState(to_state).label,
                }
            )
        locked.state = to_state
        fields = ["state"]
        for name, value in (extra_fields or {}).items():
            setattr(locked, name, value)
            fields.append(name)
        locked.save(update_fields=fields)
        RequestTransition.objects.create(
            request=locked, from_state=from_state, to_state=to_state, actor=actor, reason=reason
        )
        log_action(
            actor=actor,
            action=action or f"request.{to_state}",
            obj=locked,  # its patient_id: no query for the patient
            details={"from": from_state, "to": to_state, **(details or {})},
        )
    # The caller's object takes the locked row's values (what refresh_from_db() would read).
    for field in ProcedureRequest._meta.concrete_fields:
        setattr(request, field.attname, getattr(locked, field.attname))
    return request


# ------------------------------------------------------------------ request, consultation


def request_create(
    *,
    patient: Any,
    procedure: Any,
    actor: Any,
    region: str = "",
    referring_physician: str = "",
    referring_email: str = "",
    referral_letter: Any = None,
    pain_nrs: int | None = None,
) -> ProcedureRequest:
    """A new request (pathway.md step 1): from a referral letter at reception, or online."""
    with transaction.atomic():
        req = ProcedureRequest(
            patient=patient,
            procedure=procedure,
            region=region,
            referring_physician=referring_physician,
            referring_email=referring_email,
            pain_nrs=pain_nrs,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        if referral_letter is not None:
            req.referral_letter = referral_letter
        req.save()
        RequestTransition.objects.create(
            request=req,
            from_state=RequestState.REQUESTED,
            to_state=RequestState.REQUESTED,
            actor=req.created_by,
            reason="created",
        )
        log_action(
            actor=actor,
            action="request.created",
            obj=req,
            patient=patient,
            details={"procedure": procedure.code, "letter": bool(referral_letter)},
        )
    return req


def request_for_consultation(*, patient: Any, procedure: Any, actor: Any) -> ProcedureRequest:
    """The request a consultation is booked for: the patient's open request for this act
    (still `requested`), or a new one through request_create (online booking, reception)."""
    found = (
        ProcedureRequest.objects.filter(
            patient=patient, procedure=procedure, state=RequestState.REQUESTED
        )
        .order_by("-created_at")
        .first()
    )
    return found or request_create(patient=patient, procedure=procedure, actor=actor)


def consultation_record(
    *,
    request: ProcedureRequest,
    actor: Any,
    history: str,
    indication: str,
    benefit_risk: str,
    pain_nrs: int | None = None,
) -> Any:
    """The consultation note; the request moves to consultation_done if it was booked."""
    with transaction.atomic():
        consultation, _created = Consultation.objects.update_or_create(
            request=request,
            defaults={
                "radiologist": actor,
                "history": history,
                "indication": indication,
                "benefit_risk": benefit_risk,
            },
        )
        if pain_nrs is not None:
            ProcedureRequest.objects.filter(pk=request.pk).update(pain_nrs=pain_nrs)
        if request.state in (RequestState.REQUESTED, RequestState.CONSULTATION_BOOKED):
            # A consultation held without a booking (walk-in) still goes through the states.
            if request.state == RequestState.REQUESTED:
                request_transition(
                    request=request, to_state=RequestState.CONSULTATION_BOOKED, actor=actor
                )
            request_transition(
                request=request,
                to_state=RequestState.CONSULTATION_DONE,
                actor=actor,
                action="consultation.recorded",
            )
        else:
            log_action(actor=actor, action="consultation.updated", obj=request)
    request.refresh_from_db()
    return consultation


def request_validate(*, request: ProcedureRequest, actor: Any) -> ProcedureRequest:
    """Indication validated by a radiologist; prescriptions are written at the same time."""
    if not request.procedure.enabled:
        raise TransitionError(
            _("Ce geste n'est pas réalisé au centre : %(why)s")
            % {"why": request.procedure.disabled_reason or "—"}
        )
    with transaction.atomic():
        request_transition(
            request=request,
            to_state=RequestState.VALIDATED,
            actor=actor,
            action="request.validated",
            extra_fields={"validated_by": actor, "validated_at": timezone.now()},
        )
        prescriptions_write(request=request, actor=actor)
    return request


def request_refuse(*, request: ProcedureRequest, actor: Any, reason: str) -> ProcedureRequest:
    if not reason.strip():
        raise TransitionError(_("Indiquez le motif du refus."))
    return request_transition(
        request=request,
        to_state=RequestState.INDICATION_REFUSED,
        actor=actor,
        reason=reason.strip(),
        action="request.refused",
        extra_fields={"refusal_reason": reason.strip()},
    )


def request_cancel(*, request: ProcedureRequest, actor: Any, reason: str) -> ProcedureRequest:
    """Cancel (reason required); any active appointment of the request is cancelled too."""
    if not reason.strip():
        raise TransitionError(_("Indiquez le motif de l'annulation."))
    with transaction.atomic():
        _release_appointments(request, reason.strip())
        request_transition(
            request=request,
            to_state=RequestState.CANCELLED,
            actor=actor,
            reason=reason.strip(),
            action="request.cancelled",
            extra_fields={"cancel_reason": reason.strip()},
        )
    return request


def request_postpone(*, request: ProcedureRequest, actor: Any, reason: str) -> ProcedureRequest:
    """Back to `validated` (to be booked again): the only way out of a blocked time-out
    besides cancelling."""
    if not reason.strip():
        raise TransitionError(_("Indiquez le motif du report."))
    with transaction.atomic():
        _release_appointments(request, reason.strip())
        request_transition(
            request=request,
            to_state=RequestState.VALIDATED,
            actor=actor,
            reason=reason.strip(),
            action="request.postponed",
        )
    return request


def _release_appointments(request: ProcedureRequest, reason: str) -> None:
    # Written here rather than through scheduling's appointment_cancel: that one refuses
    # checked-in appointments and moves the request itself, while here the request's move is
    # the point. Booked and checked-in procedure slots are freed for others.

    Appointment.objects.filter(
        request=request,
        status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
    ).update(status=AppointmentStatus.CANCELLED, cancel_reason=reason)
