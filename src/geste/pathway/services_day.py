"""Writes of the procedure day: check-in, pregnancy question, time-out, procedure record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.clinic.models import Role
from geste.clinic.selectors import safety_settings
from geste.pathway.adapters import case_from_request
from geste.pathway.models import ProcedureRecord, ProcedureRequest, RequestState, TimeOut
from geste.pathway.record_checks import record_check
from geste.pathway.records import ChecklistItem, ChecklistRole, TimeOutCheck, TimeOutOutcome
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


def _checklist_since(request: ProcedureRequest) -> datetime | None:
    """Confirmations count from the patient's arrival (a postponed request checks again)."""
    arrived = request.transitions.filter(to_state=RequestState.CHECKED_IN).last()
    return arrived.at if arrived is not None else None


def checklist_state(request: ProcedureRequest) -> dict[str, dict[str, TimeOutCheck]]:
    """The latest confirmation of each item by each role since arrival: {role: {item: check}}."""
    qs = TimeOutCheck.objects.filter(request=request).select_related("by")
    since = _checklist_since(request)
    if since is not None:
        qs = qs.filter(at__gte=since)
    out: dict[str, dict[str, TimeOutCheck]] = {r: {} for r in ChecklistRole.values}
    for c in qs.order_by("at", "pk"):
        out[c.role][c.item] = c
    return out


def _role_of(actor: Any) -> str:
    role = getattr(actor, "role", "")
    if role == Role.TECHNOLOGIST:
        return ChecklistRole.TECHNOLOGIST
    if role in (Role.RADIOLOGIST, Role.ADMINISTRATOR):
        return ChecklistRole.RADIOLOGIST
    raise TransitionError(_("Seuls le radiologue et le manipulateur confirment la check-list."))


def timeout_checklist_confirm(
    *, request: ProcedureRequest, actor: Any, answers: dict[str, bool | None]
) -> list[TimeOutCheck]:
    """One person confirms the HAS checklist (identity by two identifiers, procedure, level
    and side, information, equipment): every item answered, each recorded with who and when.
    A "non" on any item stops the procedure: a blocked time-out with a `no_go` verdict."""
    if request.state != RequestState.CHECKED_IN:
        raise TransitionError(_("Le patient doit être enregistré à l'accueil."))
    role = _role_of(actor)
    missing = [i for i in ChecklistItem.values if answers.get(i) is None]
    if missing:
        raise TransitionError(
            _("Check-list incomplète : %(items)s.")
            % {"items": ", ".join(str(ChecklistItem(i).label) for i in missing)}
        )
    now = timezone.now()
    no = [i for i in ChecklistItem.values if answers[i] is False]
    with transaction.atomic():
        checks = [
            TimeOutCheck.objects.create(
                request=request, role=role, item=i, answer=bool(answers[i]), by=actor, at=now
            )
            for i in ChecklistItem.values
        ]
        log_action(
            actor=actor,
            action="timeout.checklist_confirmed",
            obj=request,
            details={"role": role, "no": no},
        )
        if no:
            TimeOut.objects.create(
                request=request,
                radiologist=actor,
                at=now,
                verdict="no_go",
                bleeding_risk="",
                findings=[
                    {
                        "code": "checklist_mismatch",
                        "severity": "no_go",
                        "rule": "HAS",
                        "source": "HAS, check-list sécurité du patient en radiologie "
                        "interventionnelle",
                        "detail": _("Discordance à la check-list : %(items)s.")
                        % {"items": ", ".join(str(ChecklistItem(i).label) for i in no)},
                    }
                ],
                outcome=TimeOutOutcome.BLOCKED,
            )
            log_action(
                actor=actor,
                action="timeout.checklist_mismatch",
                obj=request,
                details={"role": role, "items": no},
            )
    return checks


def checklist_missing(request: ProcedureRequest) -> list[str]:
    """What keeps the checklist from being complete: a role that has not confirmed every
    item "oui" since arrival (French messages)."""
    state = checklist_state(request)
    since = _checklist_since(request)
    said_no = TimeOutCheck.objects.filter(request=request, answer=False)
    if since is not None:
        said_no = said_no.filter(at__gte=since)
    if said_no.exists():
        # A mismatch stops the procedure: only postponing or cancelling remain.
        return [_("discordance à la check-list, le geste est arrêté (reporter ou annuler)")]
    out = []
    for role in ChecklistRole.values:
        got = state[role]
        if len(got) < len(ChecklistItem.values) or not all(c.answer for c in got.values()):
            out.append(
                _("check-list non confirmée par le %(role)s")
                % {"role": str(ChecklistRole(role).label).lower()}
            )
    return out


def timeout_record(
    *,
    request: ProcedureRequest,
    actor: Any,
    clearances: dict[str, str],
    questionnaire_ok: bool,
) -> TimeOut:
    """The time-out (safety-check.md): the radiologist and the technologist have confirmed
    the checklist first (else refused); then `no_go` blocks and every `review` finding needs
    a written clearance. The verdict is recomputed here, never taken from the page. Stored
    either way; each finding keeps its rule and source."""
    pending = checklist_missing(request)
    if pending:
        raise TransitionError(
            _("Avant le verdict : %(what)s.") % {"what": " ; ".join(str(p) for p in pending)}
        )
    result = timeout_evaluate(request)
    findings = [
        {
            "code": f.code,
            "severity": f.severity,
            "rule": f.rule,
            "source": f.source,
            "detail": f.detail("fr"),
        }
        for f in result.findings
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
    """What was done (pathway.md step 7). Only after a passed time-out (state `ready`), and
    only complete and consistent (`record_check`: the field is named when refused)."""
    if request.state != RequestState.READY:
        raise TransitionError(_("La vérification finale (time-out) doit être validée avant."))
    values = record_check(request, values)
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
