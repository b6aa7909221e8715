"""Writes after the procedure: report signature, follow-up and its alerts (secure links to the
report: pathway/report_links.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.clinic.models import CentreSettings, Role
from geste.pathway.alerts import alert_raise
from geste.pathway.models import (
    FollowUp,
    ProcedureRecord,
    ProcedureRequest,
    Report,
    ReportAddendum,
    RequestState,
)
from geste.pathway.services import TransitionError, request_transition
from geste.pathway.texts import technique_text

# pathway.md step 10: answers that need a radiologist now.
WARNING_EVENTS = frozenset({"fever", "weakness_numbness", "severe_headache"})
# The one-month pain measure is asked, and may be answered, this long after it falls due.
MONTH_WINDOW = timedelta(days=14)


def report_sign(*, request: ProcedureRequest, actor: Any, text: str, conclusion: str) -> Report:
    """Sign the report: published to the patient's portal at once; the follow-up is due
    `CentreSettings.followup_hours` after, the one-month pain measure
    `CentreSettings.outcome_month_days` after. The dose (DAP, fluoroscopy time, reference air
    kerma), the procedure date, the operator and the technique are copied from the record
    into structured fields (French law: the report states the dose), printed whatever the
    free text says."""
    if request.state != RequestState.PERFORMED:
        raise TransitionError(_("Le compte rendu se signe après le geste."))
    if Report.objects.filter(request=request).exists():
        raise TransitionError(_("Compte rendu déjà signé : ajoutez un addendum."))
    record = ProcedureRecord.objects.filter(request=request).first()
    if record is None:
        raise TransitionError(_("Le compte rendu se signe après le geste."))
    now = timezone.now()
    centre = CentreSettings.current()
    hours = centre.followup_hours
    performed_at = request.transitions.filter(to_state=RequestState.PERFORMED).last()
    base = performed_at.at if performed_at is not None else record.recorded_at
    with transaction.atomic():
        report = Report.objects.create(
            request=request,
            text=text,
            conclusion=conclusion,
            signed_by=actor,
            signed_at=now,
            performed_at=base,
            operator=record.operator,
            technique=technique_text(request),
            dap_mgy_cm2=record.dap_mgy_cm2,
            fluoroscopy_s=record.fluoroscopy_s,
            reference_air_kerma_mgy=record.reference_air_kerma_mgy,
        )
        FollowUp.objects.get_or_create(
            request=request,
            defaults={
                "due_at": base + timedelta(hours=hours),
                "month_due_at": base + timedelta(days=centre.outcome_month_days),
            },
        )
        request_transition(
            request=request, to_state=RequestState.REPORTED, actor=actor, action="report.signed"
        )
    return report


def report_update(*, report: Report, actor: Any, **changes: Any) -> Report:
    """A signed report is immutable: always refused (corrections are addenda)."""
    raise TransitionError(_("Un compte rendu signé ne se modifie pas : ajoutez un addendum."))


def report_addendum_add(*, report: Report, actor: Any, text: str) -> ReportAddendum:
    """A signed correction or complement, versioned (the report is version 1): shown to the
    patient and staff with the report, never replacing it."""
    if getattr(actor, "role", "") != Role.RADIOLOGIST:
        raise TransitionError(_("Seul un radiologue signe un addendum."))
    if len(text.strip()) < 10:
        raise TransitionError(_("Écrivez l'addendum (au moins 10 caractères)."))
    with transaction.atomic():
        # Lock the report row so that two addenda written at once get distinct versions.
        Report.objects.select_for_update().filter(pk=report.pk).first()
        last = report.addenda.order_by("-version").first()
        addendum = ReportAddendum.objects.create(
            report=report,
            version=(last.version if last else 1) + 1,
            text=text.strip(),
            author=actor,
            signed_at=timezone.now(),
        )
        log_action(
            actor=actor,
            action="report.addendum_signed",
            obj=report.request,
            details={"version": addendum.version},
        )
    return addendum


def followup_answer(
    *, followup: FollowUp, actor: Any, pain_now: int, adverse_events: list[str], comment: str
) -> FollowUp:
    """The patient's answers; a warning sign raises an alert on the radiologists' dashboard and
    pages the radiologist on duty (pathway/alerts.py)."""
    if followup.answered_at is not None:
        raise TransitionError(_("Ce questionnaire de suivi a déjà été rempli."))
    with transaction.atomic():
        followup.pain_now = pain_now
        followup.adverse_events = sorted(set(adverse_events))
        followup.comment = comment
        followup.answered_at = timezone.now()
        followup.alert = bool(WARNING_EVENTS & set(adverse_events))
        followup.save()
        log_action(
            actor=actor,
            action="followup.answered",
            obj=followup.request,
            details={"alert": followup.alert},
        )
        request_transition(
            request=followup.request,
            to_state=RequestState.FOLLOWED_UP,
            actor=actor,
            action="request.followed_up",
        )
        if followup.alert:
            alert_raise(followup=followup, actor=actor)
    return followup


def followup_month_answer(*, followup: FollowUp, actor: Any, pain_month: int) -> FollowUp:
    """The patient's pain one month after the procedure (issue 13, point 6): once, 0-10, while
    the measure is open (from `month_due_at` for MONTH_WINDOW). The claim is a conditional
    update, so two submissions at once record one answer."""
    if not 0 <= pain_month <= 10:
        raise TransitionError(_("La douleur se note de 0 à 10."))
    if not month_open(followup):
        raise TransitionError(_("Ce questionnaire n'est pas ouvert."))
    now = timezone.now()
    with transaction.atomic():
        claimed = FollowUp.objects.filter(pk=followup.pk, month_answered_at__isnull=True).update(
            month_answered_at=now, pain_month=pain_month
        )
        if not claimed:
            raise TransitionError(_("Ce questionnaire de suivi a déjà été rempli."))
        log_action(actor=actor, action="followup.month_answered", obj=followup.request)
    followup.month_answered_at, followup.pain_month = now, pain_month
    return followup


def month_open(followup: FollowUp, *, now: Any = None) -> bool:
    """The one-month questionnaire may be answered: due, not answered, not past its window (a
    value given at three months would not be a one-month measure)."""
    now = now or timezone.now()
    due = followup.month_due_at
    return (
        due is not None
        and followup.month_answered_at is None
        and due <= now < due + MONTH_WINDOW
        and followup.request.state in (RequestState.REPORTED, RequestState.FOLLOWED_UP)
    )


def followup_alert_clear(*, followup: FollowUp, actor: Any, note: str) -> FollowUp:
    if not note.strip():
        raise TransitionError(_("Indiquez ce qui a été fait (appel, consigne...)."))
    with transaction.atomic():
        followup.alert_cleared_by = actor
        followup.alert_cleared_at = timezone.now()
        followup.alert_note = note.strip()
        followup.save(update_fields=["alert_cleared_by", "alert_cleared_at", "alert_note"])
        log_action(actor=actor, action="followup.alert_cleared", obj=followup.request)
    return followup
