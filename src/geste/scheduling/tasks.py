"""Background tasks: reminders and waiting-list offers (django-tasks; inline in tests)."""

from __future__ import annotations

from django_tasks import task


@task()
def offer_freed_slot(appointment_id: int, start_iso: str) -> int:
    """A slot was freed: offer it to the waiting list. Returns the number of offers made."""
    from geste.scheduling.waitlist import offer_freed_time

    return offer_freed_time(appointment_id=appointment_id, start_iso=start_iso)


@task()
def send_reminder(appointment_id: int) -> int:
    """E-mail and SMS reminder of one appointment; idempotent (one per channel)."""
    from geste.scheduling.reminders import send_appointment_reminder

    return send_appointment_reminder(appointment_id)


@task()
def send_due_reminders() -> int:
    """Reminders of every appointment due in `reminder_days_before` days (run it hourly)."""
    from geste.scheduling.reminders import due_appointment_ids

    ids = due_appointment_ids()
    for appointment_id in ids:
        send_reminder.enqueue(appointment_id)
    return len(ids)


@task()
def expire_offers() -> int:
    """Expire the waiting-list offers past their hold and offer each time to the next patient
    (run it every few minutes)."""
    from geste.scheduling.waitlist import offers_expire

    return offers_expire()
