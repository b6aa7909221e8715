"""What an applied crisis decision does to a request (inside the caller's transaction).

- defer / contraindicated: the request's future appointments are released, then it moves to
  `deferred` with its review date; the patient is told "a change, log in" after commit;
- discuss: `in_discussion`, and a discussion is opened with the referring clinician(s);
- maintain: a pending request stays as it is; a deferred or discussed one goes back to where it
  had reached (`resume_state`), and to `procedure_booked` if its appointment was kept.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.clinic.models import CentreSettings
from geste.crisis.models import DEFERRING, Decision, Discussion, Outcome
from geste.crisis.notify import notify_patient_change, notify_referrer
from geste.crisis.selectors import hash_token
from geste.pathway.booking import appointment_cancel
from geste.pathway.models import PENDING_STATES, ProcedureRequest, RequestState
from geste.pathway.services import request_transition
from geste.pathway.transitions import resume_state
from geste.scheduling.models import Appointment, AppointmentKind, AppointmentStatus

CRISIS_STATES = frozenset({RequestState.DEFERRED, RequestState.IN_DISCUSSION})


def booked_future(request_ids: list[int]) -> dict[int, list[Appointment]]:
    """Request id -> its future booked appointments (one query for a batch of requests)."""
    out: dict[int, list[Appointment]] = {pk: [] for pk in request_ids}
    for appointment in Appointment.objects.filter(
        request_id__in=request_ids, status=AppointmentStatus.BOOKED, start__gte=timezone.now()
    ).order_by("start", "pk"):
        out[appointment.request_id].append(appointment)  # type: ignore[index]
    return out


def release_appointments(
    request: ProcedureRequest, actor: Any, booked: list[Appointment] | None = None
) -> int:
    """Cancel the request's future booked appointments (the slots go back to the agenda).
    `booked`: those appointments, when the caller read them for a whole batch (each is
    locked and checked again by the cancellation)."""
    released = 0
    if booked is None:
        booked = list(
            Appointment.objects.filter(
                request=request, status=AppointmentStatus.BOOKED, start__gte=timezone.now()
            )
        )
    for appointment in booked:
        # Crisis mode tells the patient once per action itself (crisis.notify).
        appointment_cancel(
            appointment=appointment,
            actor=actor,
            reason=_("Report lié au mode crise"),
            tell_patient=False,
        )
        released += 1
    return released


def resume(request: ProcedureRequest, *, actor: Any, details: dict[str, Any]) -> None:
    """A deferred or discussed request back on the normal pathway."""
    target = resume_state(validated=request.validated_at is not None)
    request_transition(
        request=request,
        to_state=target,
        actor=actor,
        action="crisis.maintained",
        details=details,
        extra_fields={"review_on": None},
    )
    kept = Appointment.objects.filter(
        request=request, status=AppointmentStatus.BOOKED, start__gte=timezone.now()
    ).values_list("kind", flat=True)
    kinds = set(kept)
    if target == RequestState.VALIDATED and AppointmentKind.PROCEDURE in kinds:
        request_transition(request=request, to_state=RequestState.PROCEDURE_BOOKED, actor=actor)
    elif target == RequestState.REQUESTED and AppointmentKind.CONSULTATION in kinds:
        request_transition(request=request, to_state=RequestState.CONSULTATION_BOOKED, actor=actor)


def apply_decision(
    *,
    request: ProcedureRequest,
    decision: str,
    review_on: date | None,
    actor: Any,
    details: dict[str, Any],
    run_decision: Any = None,
    told: set[int] | None = None,
    fresh: bool = False,
    booked: list[Appointment] | None = None,
) -> str:
    """Carry out one decision; returns the outcome (applied, or skipped when the request has
    moved on since the run saw it).

    The patient is told of every change to their appointments, whatever caused it (a run, a
    discussion's answer): one minimal message after commit, or, when the caller gathers them
    (`told`, bulk work), one per patient for the whole action.

    Bulk work passes `fresh` (the request was just read under lock) and `booked` (its future
    booked appointments, read for the whole batch): fewer queries, the same checks."""
    if not fresh:
        request.refresh_from_db()
    state = request.state
    if state not in PENDING_STATES and state not in CRISIS_STATES:
        return Outcome.SKIPPED
    if decision in DEFERRING:
        released = release_appointments(request, actor, booked)
        if released:
            request.refresh_from_db()
        request_transition(
            request=request,
            to_state=RequestState.DEFERRED,
            actor=actor,
            action="crisis.deferred",
            details={**details, "review_on": review_on.isoformat() if review_on else None},
            extra_fields={"review_on": review_on},
        )
        if released or state not in CRISIS_STATES:
            tell_patient(request.patient_id, told)
    elif decision == Decision.DISCUSS:
        if state != RequestState.IN_DISCUSSION:
            request_transition(
                request=request,
                to_state=RequestState.IN_DISCUSSION,
                actor=actor,
                action="crisis.in_discussion",
                details=details,
            )
        discussion_open(
            request=request,
            actor=actor,
            policy_id=details["policy"],
            policy_version=details["version"],
            run_decision=run_decision,
        )
    elif state in CRISIS_STATES:
        resume(request, actor=actor, details=details)
    return Outcome.APPLIED


def tell_patient(patient_id: int, told: set[int] | None = None) -> None:
    """Tell a patient their appointment changed: gathered by the caller, or after commit."""
    if told is not None:
        told.add(patient_id)
        return
    transaction.on_commit(lambda: notify_patient_change(patient_id))


def discussion_open(
    *,
    request: ProcedureRequest,
    actor: Any,
    policy_id: str,
    policy_version: str,
    run_decision: Any = None,
) -> tuple[Discussion, str]:
    """Open a discussion and e-mail the secure link (after commit). Returns (discussion, raw
    token); only the token's hash is stored."""
    raw = secrets.token_urlsafe(32)
    days = CentreSettings.current().report_link_days
    with transaction.atomic():
        discussion = Discussion.objects.create(
            request=request,
            decision=run_decision,
            policy_id=policy_id,
            policy_version=policy_version,
            addressed_to=request.referring_physician,
            addressed_email=request.referring_email,
            token_hash=hash_token(raw),
            expires_at=timezone.now() + timedelta(days=days),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        log_action(
            actor=actor,
            action="crisis.discussion_opened",
            obj=discussion,
            patient=request.patient,
            details={"request": request.pk, "emailed": bool(request.referring_email)},
        )
        transaction.on_commit(lambda: _send(discussion.pk, raw))
    return discussion, raw


def _send(discussion_id: int, raw: str) -> None:
    notify_referrer(discussion_id, raw)
