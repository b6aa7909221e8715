"""Reads of crisis mode, and the helpers the scheduling flow calls during a crisis."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils import timezone

from geste.clinic.models import Procedure
from geste.crisis.models import (
    CrisisJob,
    CrisisPeriod,
    Decision,
    Discussion,
    Outcome,
    PolicyRun,
    RunDecision,
)
from geste.pathway.models import ProcedureRequest, RequestState
from geste.rules.policy import Policy, load_policy
from geste.scheduling.models import Appointment, AppointmentStatus


def active_crisis() -> CrisisPeriod | None:
    return CrisisPeriod.objects.filter(active=True).first()


def active_policy() -> Policy | None:
    crisis = active_crisis()
    return load_policy(crisis.policy_id) if crisis is not None else None


def confirmed_decision(request: Any) -> str:
    """The decision a clinician last confirmed (or overrode, with a reason) for this request
    during the active crisis, or "" (one query). Read by the booking gate one floor down
    (pathway.crisis_gate, registered in CrisisConfig.ready): a confirmed "maintain" lets the
    patient book whatever today's triage says."""
    final = (
        RunDecision.objects.filter(
            request_id=request.pk, outcome=Outcome.APPLIED, run__crisis__active=True
        )
        .order_by("-confirmed_at", "-id")
        .values_list("final", flat=True)
        .first()
    )
    return final or ""


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


def discussion_by_token(raw: str) -> Discussion:
    """The discussion a secure link points to, whatever its state (404 for an unknown token):
    the page says when it is answered, expired or closed."""
    if not raw or len(raw) > 100:
        raise Http404
    found = (
        Discussion.objects.select_related("request__patient", "request__procedure")
        .filter(token_hash=hash_token(raw))
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


def get_decision_any(decision_id: int) -> RunDecision:
    """A decision by id, whatever its run (the worklist "à compléter" spans runs)."""
    try:
        return RunDecision.objects.select_related(
            "run", "request__patient", "request__procedure"
        ).get(pk=decision_id)
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


def bulk_counts(run: PolicyRun) -> dict[str, int]:
    """Decisions a bulk confirmation would apply, per category (none with missing inputs)."""
    rows = (
        run.decisions.filter(outcome="", missing_inputs=[])
        .values_list("proposed")
        .annotate(n=Count("id"))
        .order_by()
    )
    return dict(rows)


def incomplete_counts(run: PolicyRun) -> dict[str, int]:
    """Decisions still to confirm that have missing inputs ("à compléter"), per category."""
    rows = (
        run.decisions.filter(outcome="")
        .exclude(missing_inputs=[])
        .values_list("proposed")
        .annotate(n=Count("id"))
        .order_by()
    )
    return dict(rows)


def counts_by_procedure(run: PolicyRun) -> list[dict[str, Any]]:
    """Counts per procedure and proposed decision (one query), procedures by label."""
    from_db = run.decisions.values_list("procedure", "proposed").annotate(n=Count("id")).order_by()
    table: dict[str, dict[str, int]] = {}
    for procedure, proposed, n in from_db:
        table.setdefault(procedure, {})[proposed] = n
    labels = {p.code: p.label for p in Procedure.objects.all()}
    return [
        {
            "code": code,
            "label": labels.get(code, code),
            "cells": [row.get(d.value, 0) for d in Decision],
            "total": sum(row.values()),
        }
        for code, row in sorted(table.items(), key=lambda kv: str(labels.get(kv[0], kv[0])))
    ]


def booked_among(decisions: QuerySet[RunDecision]) -> int:
    """How many of these decisions' requests have a future booked appointment (the
    appointments a deferral cancels, each patient told)."""
    return (
        Appointment.objects.filter(
            request_id__in=decisions.values("request_id"),
            status=AppointmentStatus.BOOKED,
            start__gte=timezone.now(),
        )
        .values("patient_id")
        .distinct()
        .count()
    )


def end_counts() -> dict[str, int]:
    """What the end of a crisis touches (stated on its confirmation page)."""
    return {
        "open_discussions": open_discussions().count(),
        "deferred": deferred_requests().count(),
        "in_discussion": ProcedureRequest.objects.filter(state=RequestState.IN_DISCUSSION).count(),
    }


def telephone_tasks() -> QuerySet[Discussion]:
    """Open discussions with no referrer address: staff telephone and record the answer."""
    return open_discussions().filter(addressed_email="")


def get_job(job_id: int) -> CrisisJob:
    try:
        return CrisisJob.objects.get(pk=job_id)
    except (CrisisJob.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def open_discussions() -> QuerySet[Discussion]:
    return Discussion.objects.filter(
        answered_at__isnull=True, closed_at__isnull=True
    ).select_related("request__patient", "request__procedure")


def deferred_requests() -> QuerySet[ProcedureRequest]:
    return ProcedureRequest.objects.filter(state=RequestState.DEFERRED)


def patient_deferrals(patient: Any) -> QuerySet[ProcedureRequest]:
    """A patient's requests postponed by the crisis (for the portal notice)."""
    return ProcedureRequest.objects.filter(
        patient=patient, state__in=(RequestState.DEFERRED, RequestState.IN_DISCUSSION)
    ).select_related("procedure")


def last_answer(request: ProcedureRequest) -> Discussion | None:
    """The newest answered discussion of a request (shown on the request page)."""
    return (
        Discussion.objects.filter(request=request, answered_at__isnull=False)
        .select_related("answered_by")
        .order_by("-answered_at", "-id")
        .first()
    )


def plan_waits(plan: Any) -> list[dict[str, Any]]:
    """Mean and longest wait in days (request date to planned day) per priority, for the
    plan and for first-come-first-served, most urgent first (one query)."""
    rows = plan.items.filter(removed=False).values_list(
        "priority_weight", "requested_on", "day", "fcfs_day"
    )
    acc: dict[int, dict[str, list[int]]] = {}
    for weight, requested, day, fcfs_day in rows:
        slot = acc.setdefault(weight, {"plan": [], "fcfs": [], "n": []})
        slot["n"].append(1)
        if day is not None:
            slot["plan"].append((day - requested).days)
        if fcfs_day is not None:
            slot["fcfs"].append((fcfs_day - requested).days)

    def mean(v: list[int]) -> float | None:
        return round(sum(v) / len(v), 1) if v else None

    return [
        {
            "weight": w,
            "n": len(a["n"]),
            "mean": mean(a["plan"]),
            "longest": max(a["plan"], default=None),
            "fcfs_mean": mean(a["fcfs"]),
            "fcfs_longest": max(a["fcfs"], default=None),
        }
        for w, a in sorted(acc.items(), reverse=True)
    ]
