"""Bulk work of crisis mode in the background (issue 11, point 5): bulk apply of one category
of a run, recovery plan creation and acceptance, each a django-task with its progress on a
`CrisisJob` row, started after a confirmation page that states the counts.

Idempotent and resumable: the work is cut in batches, each committed on its own with the
progress and a heartbeat; a unit already done marks itself (the decision's outcome, the item's
appointment) and is skipped when the job runs again. A job whose heartbeat is older than
`STALE` (its worker died) is put back in the queue by `jobs_resume_stale`, called by the
progress page and the daily command: no job stays "running".

Patients are told once per action: the batch gathers the patients whose appointments changed
and sends one minimal message each after the batch commits.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from geste.audit.services import log_action, written_at_end
from geste.crisis import services
from geste.crisis.errors import CrisisError
from geste.crisis.models import (
    CrisisJob,
    CrisisPeriod,
    JobKind,
    PolicyRun,
    RecoveryPlan,
    RunStatus,
)
from geste.crisis.progress import batches, beat, tell
from geste.crisis.recovery import plan_create
from geste.crisis.recovery_actions import plan_accept

logger = logging.getLogger(__name__)

STALE = timedelta(minutes=2)
_LIVE = (RunStatus.QUEUED, RunStatus.RUNNING)


def job_create(
    *,
    kind: str,
    actor: Any,
    run: PolicyRun | None = None,
    proposed: str = "",
    plan: RecoveryPlan | None = None,
    total: int = 0,
) -> CrisisJob:
    """Queue one job (one live job per kind and object: a second click returns the first)."""
    with transaction.atomic():
        live = CrisisJob.objects.select_for_update().filter(
            kind=kind, run=run, proposed=proposed, plan=plan, status__in=_LIVE
        )
        existing = live.first()
        if existing is not None:
            return existing
        job = CrisisJob.objects.create(
            kind=kind,
            run=run,
            proposed=proposed,
            plan=plan,
            total=total,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        log_action(
            actor=actor,
            action="crisis.job_started",
            obj=job,
            details={
                "kind": kind,
                "run": getattr(run, "pk", None),
                "proposed": proposed,
                "plan": getattr(plan, "pk", None),
                "total": total,
            },
        )
        transaction.on_commit(lambda: execute_job.enqueue(job.pk))
    return job


def jobs_resume_stale() -> int:
    """Queue again the jobs whose worker died (heartbeat older than STALE)."""
    limit = timezone.now() - STALE
    stale = list(
        CrisisJob.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=limit).values_list(
            "pk", flat=True
        )
    )
    for pk in stale:
        if CrisisJob.objects.filter(pk=pk, status=RunStatus.RUNNING, heartbeat_at__lt=limit).update(
            status=RunStatus.QUEUED
        ):
            transaction.on_commit(lambda pk=pk: execute_job.enqueue(pk))  # type: ignore[misc]
    return len(stale)


def _apply(job: CrisisJob, actor: Any) -> dict[str, int]:
    run = job.run
    assert run is not None
    ids = list(services.bulk_queryset(run, job.proposed).values_list("pk", flat=True))
    done = dict(job.result.get("done", {})) or {"applied": 0, "skipped": 0, "failed": 0}
    processed = job.processed
    CrisisJob.objects.filter(pk=job.pk).update(total=processed + len(ids))
    told: set[int] = set()
    for chunk in batches(ids):
        try:
            # One transaction per batch; its audit events sealed onto the chain at its end (the
            # chain's lock, which the pages' own audit events need, held for the insert only).
            with written_at_end():
                counts = services.decisions_confirm_batch(
                    run=run, ids=chunk, actor=actor, told=told
                )
                processed += len(chunk)
                for outcome, n in counts.items():
                    done[outcome] = done.get(outcome, 0) + n
                tell(told)
                beat(job.pk, processed, result={"done": done})
        except CrisisError:  # the crisis ended or changed policy meanwhile: none applies
            told.clear()
            processed += len(chunk)
            done["failed"] = done.get("failed", 0) + len(chunk)
            beat(job.pk, processed, result={"done": done})
    return done


def job_execute(job_id: int) -> CrisisJob:
    """The task body: claim the job (queued), run it, record the result."""
    claimed = CrisisJob.objects.filter(pk=job_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    job = CrisisJob.objects.select_related("run", "plan", "created_by").get(pk=job_id)
    if not claimed:
        return job  # running elsewhere or finished: a duplicate task does nothing
    actor = job.created_by
    try:
        if job.kind == JobKind.APPLY:
            result: dict[str, Any] = {"done": _apply(job, actor)}
        elif job.kind == JobKind.PLAN_CREATE:
            result = _plan_create(job, actor)
        else:
            result = _plan_accept(job, actor)
    except Exception as exc:
        logger.exception("crisis job %s failed", job_id)
        CrisisJob.objects.filter(pk=job_id).update(
            status=RunStatus.FAILED, error=type(exc).__name__[:200], finished_at=timezone.now()
        )
        raise
    with transaction.atomic():
        CrisisJob.objects.filter(pk=job_id).update(
            status=RunStatus.DONE, finished_at=timezone.now(), result=result
        )
        job.refresh_from_db()
        log_action(
            actor=actor,
            action="crisis.job_done",
            obj=job,
            details={"kind": job.kind, **{k: v for k, v in result.items() if k != "failures"}},
        )
    return job


def _plan_create(job: CrisisJob, actor: Any) -> dict[str, Any]:
    crisis = CrisisPeriod.objects.filter(active=False).order_by("-ended_at").first()
    if crisis is None:
        raise CrisisError(_("Aucune crise terminée."))
    plan = plan_create(crisis=crisis, actor=actor, job_id=job.pk)
    CrisisJob.objects.filter(pk=job.pk).update(plan=plan)
    return {"plan": plan.pk}


def _plan_accept(job: CrisisJob, actor: Any) -> dict[str, Any]:
    assert job.plan is not None
    result = plan_accept(plan=job.plan, actor=actor, job_id=job.pk)
    # The failures name the patient (shown to staff on the job page, never in the audit).
    return {
        "booked": result.booked,
        "failed": [i for i, _r in result.failed],
        "failures": [r for _i, r in result.failed],
    }


@task()
def execute_job(job_id: int) -> dict[str, Any]:
    job = job_execute(job_id)
    return {"job": job.pk, "status": job.status}
