"""`geste manage crisis_review [--today YYYY-MM-DD]`: the daily re-triage, for cron (one host at
a time when several run it: clinic.locks)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from geste.clinic.locks import one_host_at_a_time
from geste.crisis.jobs import jobs_resume_stale
from geste.crisis.services import review_due


class Command(BaseCommand):
    help = "Re-triage deferred requests whose review date has come, under the active policy."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", type=date.fromisoformat, default=None)

    @one_host_at_a_time("crisis_review")
    def handle(self, *args: Any, **options: Any) -> None:
        resumed = jobs_resume_stale()  # bulk jobs whose worker died: queued again
        if resumed:
            self.stdout.write(f"crisis_review: {resumed} interrupted job(s) queued again")
        run = review_due(today=options["today"])
        if run is None:
            self.stdout.write("crisis_review: nothing to review")
            return
        self.stdout.write(
            f"crisis_review: run {run.pk}, {run.processed} request(s) re-triaged, "
            f"{dict(run.counts)}"
        )
