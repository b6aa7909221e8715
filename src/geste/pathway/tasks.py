"""Background tasks of the pathway (django-tasks; inline in tests): follow-up (48-72 h and one
month) and appointment reminders, waiting-list offers."""

from __future__ import annotations

from django_tasks import task

from geste.clinic.locks import one_at_a_time
from geste.pathway import appointment_reminders, reminders, waitlist


@task()
def send_followup_reminder(followup_id: int) -> int:
    """E-mail and SMS: a follow-up questionnaire awaits. Idempotent (one per procedure)."""
    return reminders.send_followup_reminder(followup_id)


@task()
@one_at_a_time("send_due_followup_reminders")  # one worker at a time, on any host (clinic.locks)
def send_due_followup_reminders() -> int:
    """Enqueue the reminder of every follow-up that has become due (run it by cron)."""
    ids = reminders.due_followup_ids()
    for followup_id in ids:
        send_followup_reminder.enqueue(followup_id)
    return len(ids)


@task()
def send_month_reminder(followup_id: int) -> int:
    """E-mail and SMS: the one-month pain questionnaire awaits. Idempotent (one per procedure)."""
    return reminders.send_month_reminder(followup_id)


@task()
@one_at_a_time("send_due_month_reminders")  # one worker at a time, on any host (clinic.locks)
def send_due_month_reminders() -> int:
    """Enqueue the one-month message of every measure that has become due (run it by cron)."""
    ids = reminders.due_month_ids()
    for followup_id in ids:
        send_month_reminder.enqueue(followup_id)
    return len(ids)


@task()
def offer_freed_slot(appointment_id: int, start_iso: str) -> int:
    """A slot was freed: offer it to the waiting list. Returns the number of offers made."""
    return waitlist.offer_freed_time(appointment_id=appointment_id, start_iso=start_iso)


@task()
def send_reminder(appointment_id: int) -> int:
    """E-mail and SMS reminder of one appointment; idempotent (one per channel)."""
    return appointment_reminders.send_appointment_reminder(appointment_id)


@task()
@one_at_a_time("send_due_reminders")  # one worker at a time, on any host (clinic.locks)
def send_due_reminders() -> int:
    """Reminders of every appointment due in `reminder_days_before` days (run it hourly)."""
    ids = appointment_reminders.due_appointment_ids()
    for appointment_id in ids:
        send_reminder.enqueue(appointment_id)
    return len(ids)


@task()
@one_at_a_time("expire_offers")  # one worker at a time, on any host (clinic.locks)
def expire_offers() -> int:
    """Expire the waiting-list offers past their hold and offer each time to the next patient
    (run it every few minutes)."""
    return waitlist.offers_expire()
