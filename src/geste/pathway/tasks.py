"""Background tasks of the pathway (django-tasks; inline in tests)."""

from __future__ import annotations

from django_tasks import task


@task()
def send_followup_reminder(followup_id: int) -> int:
    """E-mail and SMS: a follow-up questionnaire awaits. Idempotent (one per procedure)."""
    from geste.pathway.reminders import send_followup_reminder as send

    return send(followup_id)


@task()
def send_due_followup_reminders() -> int:
    """Enqueue the reminder of every follow-up that has become due (run it by cron)."""
    from geste.pathway.reminders import due_followup_ids

    ids = due_followup_ids()
    for followup_id in ids:
        send_followup_reminder.enqueue(followup_id)
    return len(ids)
