"""Writes after the procedure: report signature, follow-up and its alerts (secure links to the
report: pathway/report_links.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.clinic.models import CentreSettings
from geste.pathway.models import FollowUp, ProcedureRequest, Report, RequestState
from geste.pathway.services import TransitionError, request_transition

# pathway.md step 10: answers that need a radiologist now.
WARNING_EVENTS = frozenset({"fever", "weakness_numbness", "severe_headache"})


def report_sign(*, request: ProcedureRequest, actor: Any, text: str, conclusion: str) -> Report:
    """Sign the report: published to the patient's portal at once; the follow-up is due
    `CentreSettings.followup_hours` after."""
    if request.state != RequestState.PERFORMED:
        raise TransitionError(_("Le compte rendu se signe après le geste."))
    now = timezone.now()
    hours = CentreSettings.current().followup_hours
    with transaction.atomic():
        report = Report.objects.create(
            request=request, text=text, conclusion=conclusion, signed_by=actor, signed_at=now
        )
        performed_at = request.transitions.filter(to_state=RequestState.PERFORMED).last()
        base = performed_at.at if performed_at is not None else now
        FollowUp.objects.get_or_create(
            request=request, defaults={"due_at": base + timedelta(hours=hours)}
        )
        request_transition(
            request=request, to_state=RequestState.REPORTED, actor=actor, action="report.signed"
        )
    return report


def followup_answer(
    *, followup: FollowUp, actor: Any, pain_now: int, adverse_events: list[str], comment: str
) -> FollowUp:
    """The patient's answers; a warning sign raises an alert on the radiologists' dashboard."""
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
    return followup


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
