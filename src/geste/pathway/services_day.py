"""Writes of the procedure day: check-in, pregnancy question, time-out, procedure record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.clinic.selectors import safety_settings
from geste.pathway.adapters import case_from_request
from geste.pathway.models import ProcedureRecord, ProcedureRequest, RequestState, TimeOut
from geste.pathway.records import TimeOutOutcome
from geste.pathway.services import TransitionError, request_transition
from geste.rules.safety import CheckResult, check
from geste.scheduling.models import Appointment, AppointmentKind, AppointmentStatus


def request_check_in(*, request: ProcedureRequest, actor: Any) -> ProcedureRequest:
    """Arrival registered at reception: the procedure appointment is marked arrived."""
    with transaction.atomic():
        request_transition(
            request=request,
            to_state=RequestState.CHECKED_IN,
            actor=actor,
            action="request.checked_in",
        )
        Appointment.objects.filter(
            request=request, kind=AppointmentKind.PROCEDURE, status=AppointmentStatus.BOOKED
        ).update(status=AppointmentStatus.CHECKED_IN)
    return request


def pregnancy_check_record(
    *, request: ProcedureRequest, actor: Any, possibly_pregnant: bool | None
) -> ProcedureRequest:
    """The technologist asks the pregnancy question again on the day (pathway.md step 5)."""
    with transaction.atomic():
        ProcedureRequest.objects.filter(pk=request.pk).update(
            pregnancy_checked_at=timezone.now(),
            pregnancy_checked_answer=possibly_pregnant,
            pregnancy_checked_by=actor,
        )
        log_action(actor=actor, action="request.pregnancy_checked", obj=request)
    request.refresh_from_db()
    return request


def timeout_evaluate(request: ProcedureRequest, *, at: datetime | None = None) -> CheckResult:
    """The engine's verdict on the live record, through the one adapter."""
    return check(case_from_request(request, at=at), safety_settings(), at or timezone.now())


def timeout_record(
    *,
    request: ProcedureRequest,
    actor: Any,
    clearances: dict[str, str],
    questionnaire_ok: bool,
) -> TimeOut:
    """The time-out (safety-check.md): `no_go` blocks; every `review` finding needs a written
    clearance. The verdict is recomputed here, never taken from the page. Stored either way."""
    result = timeout_evaluate(request)
    findings = [
        {"code": f.code, "severity": f.severity, "detail": f.detail("fr")} for f in result.findings
    ]
    needed = sorted({f.code for f in result.findings if f.severity == "review"})
    given = {c: (clearances.get(c) or "").strip() for c in needed}
    missing = [c for c, reason in given.items() if not reason]
    passed = result.verdict != "no_go" and not missing and questionnaire_ok
    with transaction.atomic():
        timeout = TimeOut.objects.create(
            request=request,
            radiologist=actor,
            at=timezone.now(),
            verdict=result.verdict,
            bleeding_risk=result.bleeding_risk,
            findings=findings,
            clearances={c: r for c, r in given.items() if r},
            outcome=TimeOutOutcome.PASSED if passed else TimeOutOutcome.BLOCKED,
        )
        log_action(
            actor=actor,
            action="timeout.passed" if passed else "timeout.blocked",
            obj=request,
            details={"verdict": result.verdict, "codes": sorted(result.codes)},
        )
        if passed:
            request_transition(
                request=request, to_state=RequestState.READY, actor=actor, action="request.ready"
            )
    return timeout


def procedure_record_create(
    *, request: ProcedureRequest, actor: Any, values: dict[str, Any]
) -> ProcedureRecord:
    """What was done (pathway.md step 7). Only after a passed time-out (state `ready`)."""
    if request.state != RequestState.READY:
        raise TransitionError(_("La vérification finale (time-out) doit être validée avant."))
    with transaction.atomic():
        record = ProcedureRecord.objects.create(request=request, **values)
        Appointment.objects.filter(
            request=request,
            kind=AppointmentKind.PROCEDURE,
            status__in=(AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
        ).update(status=AppointmentStatus.DONE)
        request_transition(
            request=request,
            to_state=RequestState.PERFORMED,
            actor=actor,
            action="procedure.recorded",
        )
    return record
