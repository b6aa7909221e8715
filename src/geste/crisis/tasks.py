"""Background work of crisis mode (django-tasks; inline in tests). The what-if run's task,
`execute_run`, lives beside the run in whatif.py."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from geste.clinic.locks import run_alone
from geste.crisis.services import review_due


@task()
def daily_review() -> dict[str, Any]:
    """Re-triage the deferred requests whose review date has come (cron: `geste manage
    crisis_review`, or this task on a schedule)."""
    run = run_alone("crisis_review", review_due)  # one host at a time (clinic.locks)
    return {"run": run.pk if run else None}
