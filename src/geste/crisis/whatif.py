"""Policy runs: a what-if over every pending request (nothing changes), or the daily review of
the deferred requests whose review date has come (crisis-triage.md, "What-if first").

Built for 100,000 pending requests in seconds (bench/whatif.py): the cases come from the ONE
adapter's batch form (`case_chunks`: rows, not model instances, a handful of queries per
chunk), with each request's state and procedure appointments (the hours a deferral frees);
decisions are written without the ORM (COPY on PostgreSQL, executemany on SQLite), one
transaction per chunk that also saves the progress the page polls.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from geste.audit.services import log_action
from geste.crisis.errors import CrisisError
from geste.crisis.models import DEFERRING, PolicyRun, RunDecision, RunKind, RunStatus
from geste.pathway.adapters import case_chunks
from geste.pathway.models import PENDING_STATES, ProcedureRequest, RequestState
from geste.rules.policy import PolicyError, load_policy
from geste.rules.triage import triage
from geste.scheduling.models import AppointmentStatus

logger = logging.getLogger(__name__)

CHUNK = 5000
# Key of run.counts holding how many decisions have missing inputs ("to complete").
TO_COMPLETE = "to_complete"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def run_queryset(run: PolicyRun) -> QuerySet[ProcedureRequest]:
    """The requests a run looks at: pending ones (what-if), or deferred ones due for review."""
    if run.kind == RunKind.REVIEW:
        return ProcedureRequest.objects.filter(
            state=RequestState.DEFERRED, review_on__lte=run.today
        )
    return ProcedureRequest.objects.filter(state__in=PENDING_STATES)


def run_create(
    *,
    policy_id: str,
    actor: Any,
    kind: str = RunKind.WHAT_IF,
    today: date | None = None,
    crisis: Any = None,
    enqueue: bool = True,
) -> PolicyRun:
    """Record a run (queued) and start it in the background once committed."""
    try:
        policy = load_policy(policy_id)
    except PolicyError:
        raise CrisisError(_("Politique inconnue.")) from None
    with transaction.atomic():
        run = PolicyRun.objects.create(
            kind=kind,
            policy_id=policy.id,
            policy_version=policy.version,
            crisis=crisis,
            today=today or timezone.localdate(),
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        log_action(
            actor=actor,
            action="crisis.run_started",
            obj=run,
            details={"kind": kind, "policy": policy.id, "version": policy.version},
        )
        if enqueue:
            transaction.on_commit(lambda: _enqueue(run.pk))
    return run


def _enqueue(run_id: int) -> None:
    execute_run.enqueue(run_id)


def _freed(appointments: Any, now: Any, tz: Any) -> tuple[int, dict[date, int]]:
    """Minutes of future booked procedure appointments, in total and per week (Monday of the
    week in `tz`, the current time zone, read once by the caller: not per appointment)."""
    total = 0
    weekly: dict[date, int] = {}
    for start, status, end in appointments:
        if status == AppointmentStatus.BOOKED and start >= now:
            minutes = int((end - start).total_seconds() // 60)
            total += minutes
            week = _monday(start.astimezone(tz).date())
            weekly[week] = weekly.get(week, 0) + minutes
    return total, weekly


def run_execute(run_id: int) -> PolicyRun:
    """Triage every request of the run and store the proposals (the task body)."""
    now = timezone.now()
    claimed = PolicyRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    run = PolicyRun.objects.get(pk=run_id)
    if not claimed:
        return run  # already run (a retried task): nothing to do
    started = time.perf_counter()
    try:
        _execute(run)
    except Exception as exc:
        logger.exception("crisis run %s failed", run_id)
        PolicyRun.objects.filter(pk=run_id).update(
            status=RunStatus.FAILED, error=type(exc).__name__, finished_at=timezone.now()
        )
        raise
    PolicyRun.objects.filter(pk=run_id).update(seconds=time.perf_counter() - started)
    run.refresh_from_db()
    return run


def _execute(run: PolicyRun) -> None:
    policy = load_policy(run.policy_id)
    if policy.version != run.policy_version:
        raise CrisisError(f"policy version changed: {policy.version}")
    qs = run_queryset(run)
    now = timezone.now()
    tz = timezone.get_current_timezone()
    PolicyRun.objects.filter(pk=run.pk).update(total=qs.count())
    today = run.today
    counts: Counter[str] = Counter()
    freed_by_week: Counter[date] = Counter()
    processed = 0
    run_id = run.pk
    # A policy has a few dozen rules: each distinct list is serialised once.
    rules_json: dict[tuple[str, ...], str] = {}
    missing_json: dict[tuple[str, ...], str] = {}
    for chunk in case_chunks(qs, chunk_size=CHUNK):
        batch: list[tuple[Any, ...]] = []
        for case, state, appointments in chunk:
            result = triage(case, policy, today)
            decision = result.decision
            counts[decision] += 1
            minutes = 0
            if appointments and decision in DEFERRING:
                minutes, weekly = _freed(appointments, now, tz)
                freed_by_week.update(weekly)
            rules = rules_json.get(result.rules)
            if rules is None:
                rules = rules_json[result.rules] = json.dumps(list(result.rules))
            missing = missing_json.get(result.missing_inputs)
            if missing is None:
                missing = missing_json[result.missing_inputs] = json.dumps(
                    list(result.missing_inputs)
                )
            if result.missing_inputs:
                counts[TO_COMPLETE] += 1
            # Same column order as _COLUMNS.
            batch.append(
                (
                    run_id,
                    int(case.id),
                    state,
                    case.procedure,
                    decision,
                    rules,
                    result.review_on,
                    result.group_lesions,
                    minutes,
                    missing,
                    "",
                    "",
                    "",
                )
            )
        processed += len(batch)
        _flush(run_id, batch, processed, counts)
    PolicyRun.objects.filter(pk=run_id).update(
        status=RunStatus.DONE,
        finished_at=timezone.now(),
        total=processed,
        freed_minutes_by_week={d.isoformat(): m for d, m in sorted(freed_by_week.items())},
    )


_COLUMNS = (
    "run_id",
    "request_id",
    "request_state",
    "procedure",
    "proposed",
    "rules",
    "review_on",
    "group_lesions",
    "freed_minutes",
    "missing_inputs",
    "final",
    "override_reason",
    "outcome",
)


def _insert(rows: list[tuple[Any, ...]]) -> None:
    """Write decisions without building model instances: COPY on PostgreSQL, executemany
    elsewhere (the ORM's bulk_create spends most of its time preparing values)."""
    table = connection.ops.quote_name(RunDecision._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:  # type: ignore[union-attr]
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(_COLUMNS))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608 - fixed names


def _flush(run_id: int, batch: list[tuple[Any, ...]], processed: int, counts: Counter[str]) -> None:
    with transaction.atomic():
        if batch:
            _insert(batch)
        PolicyRun.objects.filter(pk=run_id).update(
            processed=processed, counts=dict(counts), heartbeat_at=timezone.now()
        )


@task()
def execute_run(run_id: int) -> dict[str, Any]:
    """A policy run (what-if or review) in the background, in chunks, progress saved as it
    goes. Defined beside run_execute so that run_create can enqueue it without a cycle."""
    run = run_execute(run_id)
    return {"run": run.pk, "status": run.status, "processed": run.processed}


# A run's worker saves its progress every chunk (a few seconds at most): a running run silent
# for this long has lost its worker (killed, machine restarted).
STALE = timedelta(minutes=5)


def run_stalled(run: PolicyRun, *, now: Any = None) -> bool:
    """Running, and no sign of life from its worker for STALE: the worker died."""
    if run.status != RunStatus.RUNNING:
        return False
    last = run.heartbeat_at or run.started_at or run.created_at
    return last < (now or timezone.now()) - STALE


def run_restart(*, run: PolicyRun, actor: Any) -> PolicyRun:
    """Start a stalled run again from the beginning: its partial proposals are dropped (none
    was applied: a run is applied only once done), it is queued and a worker takes it."""
    with transaction.atomic():
        locked = PolicyRun.objects.select_for_update().get(pk=run.pk)
        if not run_stalled(locked):
            raise CrisisError(_("Ce calcul n'est pas interrompu : il n'y a rien à relancer."))
        dropped = locked.decisions.count()
        locked.decisions.all().delete()
        PolicyRun.objects.filter(pk=locked.pk).update(
            status=RunStatus.QUEUED,
            processed=0,
            counts={},
            started_at=None,
            heartbeat_at=None,
            error="",
        )
        log_action(
            actor=actor,
            action="crisis.run_restarted",
            obj=locked,
            details={"dropped": dropped, "processed": locked.processed},
        )
        transaction.on_commit(lambda: _enqueue(locked.pk))
    run.refresh_from_db()
    return run
