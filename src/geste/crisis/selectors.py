"""Reads of crisis mode, and the helpers the scheduling flow calls during a crisis."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from geste.crisis.models import CrisisPeriod, Discussion, PolicyRun, RunDecision
from geste.pathway.models import ProcedureRequest, RequestState
from geste.rules.policy import Policy, load_policy


def active_crisis() -> CrisisPeriod | None:
    return CrisisPeriod.objects.filter(active=True).first()


def active_policy() -> Policy | None:
    crisis = active_crisis()
    return load_policy(crisis.policy_id) if crisis is not None else None


def consultation_may_be_video(request: Any = None) -> bool:
    """During a crisis the pre-procedure consultation may be held by video (fewer trips for the
    oldest patients); outside a crisis it is held in person."""
    return active_crisis() is not None


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def discussion_for_token(raw: str) -> Discussion:
    """The open, unexpired discussion a secure link points to (404 otherwise)."""
    if not raw or len(raw) > 100:
        raise Http404
    found = (
        Discussion.objects.select_related("request__patient", "request__procedure")
        .filter(token_hash=hash_token(raw), answered_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if found is None:
        raise Http404
    return found


def get_run(run_id: int) -> PolicyRun:
    try:
        return PolicyRun.objects.get(pk=run_id)
    except (PolicyRun.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_decision(run: PolicyRun, decision_id: int) -> RunDecision:
    try:
        return RunDecision.objects.select_related("request__patient", "request__procedure").get(
            pk=decision_id, run=run
        )
    except (RunDecision.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_discussion(discussion_id: int) -> Discussion:
    try:
        return Discussion.objects.select_related("request__patient", "request__procedure").get(
            pk=discussion_id
        )
    except (Discussion.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def recent_runs(limit: int = 10) -> QuerySet[PolicyRun]:
    return PolicyRun.objects.select_related("created_by")[:limit]


def run_decisions(run: PolicyRun, *, proposed: str | None = None) -> QuerySet[RunDecision]:
    qs = run.decisions.select_related("request__patient", "request__procedure", "confirmed_by")
    if proposed:
        qs = qs.filter(proposed=proposed)
    return qs.order_by("id")


def pending_counts(run: PolicyRun) -> dict[str, int]:
    """Decisions still to confirm, per proposed decision (one query)."""
    rows = (
        run.decisions.filter(outcome="").values_list("proposed").annotate(n=Count("id")).order_by()
    )
    return dict(rows)


def open_discussions() -> QuerySet[Discussion]:
    return Discussion.objects.filter(answered_at__isnull=True).select_related(
        "request__patient", "request__procedure"
    )


def deferred_requests() -> QuerySet[ProcedureRequest]:
    return ProcedureRequest.objects.filter(state=RequestState.DEFERRED)


def patient_deferrals(patient: Any) -> QuerySet[ProcedureRequest]:
    """A patient's requests postponed by the crisis (for the portal notice)."""
    return ProcedureRequest.objects.filter(
        patient=patient, state__in=(RequestState.DEFERRED, RequestState.IN_DISCUSSION)
    ).select_related("procedure")
