"""`geste manage scheduling_tick`: the periodic work of scheduling, for cron.

Sends the reminders that are due (idempotent: one per appointment and channel, so a run that
overlaps another sends nothing twice) and expires the waiting-list offers past their hold
(passing each freed time to the next patient). Safe to run as often as you like; every
5 minutes keeps offers close to their 2-hour hold:

    */5 * * * *  cd /srv/geste && .venv/bin/geste manage scheduling_tick

The work runs in this process (no task worker needed); `--enqueue` hands it to the task
backend instead (django-tasks: `send_due_reminders`, `expire_offers`).

Several hosts may run it at once: one does the work, the others print that it is running
elsewhere (clinic.locks: a PostgreSQL advisory lock).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from geste.clinic.locks import one_host_at_a_time
from geste.pathway.appointment_reminders import due_appointment_ids, send_appointment_reminder
from geste.pathway.tasks import expire_offers, send_due_reminders
from geste.pathway.waitlist import offers_expire


class Command(BaseCommand):
    help = "Send due appointment reminders and expire waiting-list offers (run from cron)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="enqueue background tasks instead of doing the work here",
        )

    @one_host_at_a_time("scheduling_tick")
    def handle(self, *args: Any, **options: Any) -> None:
        if options["enqueue"]:
            send_due_reminders.enqueue()
            expire_offers.enqueue()
            self.stdout.write("scheduling_tick: tasks enqueued")
            return
        sent = sum(send_appointment_reminder(pk) for pk in due_appointment_ids())
        expired = offers_expire()
        # Counts only: no patient data in the output (it ends up in cron mail and logs).
        self.stdout.write(f"scheduling_tick: {sent} reminder(s) sent, {expired} offer(s) expired")
