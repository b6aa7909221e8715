"""Background work of crisis mode (django-tasks; inline in tests)."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def execute_run(run_id: int) -> dict[str, Any]:
    """A policy run (what-if or review), in chunks, progress saved as it goes."""
    from geste.crisis.whatif import run_execute

    run = run_execute(run_id)
    return {"run": run.pk, "status": run.status, "processed": run.processed}


@task()
def daily_review() -> dict[str, Any]:
    """Re-triage the deferred requests whose review date has come (cron: `geste manage
    crisis_review`, or this task on a schedule)."""
    from geste.crisis.services import review_due

    run = review_due()
    return {"run": run.pk if run else None}
