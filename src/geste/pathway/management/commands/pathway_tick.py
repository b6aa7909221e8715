"""`geste manage pathway_tick`: the pathway's periodic work, for cron (every 15 minutes).

The follow-up reminders that have become due (48-72 h and one month), and the follow-up
alerts paged but not acknowledged after alerts.ESCALATE_AFTER (paged to the next radiologist on
duty). Safe to run as often as wanted: each measure is sent once, each page escalated once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from geste.clinic.locks import one_host_at_a_time
from geste.pathway.alerts import alerts_escalate
from geste.pathway.reminders import due_followup_ids, due_month_ids
from geste.pathway.tasks import send_followup_reminder, send_month_reminder


class Command(BaseCommand):
    help = (
        "Send the follow-up reminders (48-72 h, one month) that have become due and escalate "
        "unacknowledged alerts (idempotent; run it from cron)."
    )

    @one_host_at_a_time("pathway_tick")
    def handle(self, *args: Any, **options: Any) -> None:
        ids = due_followup_ids()
        for followup_id in ids:
            send_followup_reminder.enqueue(followup_id)
        self.stdout.write(f"pathway_tick: {len(ids)} follow-up reminder(s) queued")
        month = due_month_ids()
        for followup_id in month:
            send_month_reminder.enqueue(followup_id)
        self.stdout.write(f"pathway_tick: {len(month)} one-month questionnaire(s) queued")
        escalated = alerts_escalate()
        self.stdout.write(f"pathway_tick: {escalated} alert(s) escalated")
