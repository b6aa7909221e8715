"""Reminders by e-mail and SMS (issue 4, point 7), sent by background tasks.

Content is minimal on purpose: a time, a place, a link to log in; never the procedure or a
diagnosis. One reminder per appointment and channel: the `ReminderSent` row is inserted in
the same transaction as the sending, under a unique constraint, so a task that runs twice
(or two workers at once) sends once.
"""

from __future__ import annotations

from datetime import time, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from geste.clinic.messages import message_send
from geste.clinic.models import CentreSettings, MessageKind
from geste.clinic.selectors import site_zone
from geste.pathway.prerequisites import prerequisites
from geste.scheduling.capacity import local_at
from geste.scheduling.ics import appointment_ics
from geste.scheduling.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ReminderChannel,
    ReminderSent,
)


def due_appointment_ids() -> list[int]:
    """Booked appointments on or before the local date today + `reminder_days_before`, not yet
    reminded (sent on day D-2 for every appointment of day D, whatever its hour)."""
    now = timezone.now()
    days = CentreSettings.current().reminder_days_before
    limit = local_at(timezone.localdate() + timedelta(days=days + 1), time.min)
    qs = Appointment.objects.filter(
        status=AppointmentStatus.BOOKED, start__gt=now, start__lt=limit
    ).exclude(pk__in=ReminderSent.objects.values("appointment_id"))
    return list(qs.values_list("pk", flat=True))


def needs_blood_test(appointment: Appointment) -> bool:
    if appointment.kind != AppointmentKind.PROCEDURE or appointment.request is None:
        return False
    pre = prerequisites(
        patient=appointment.patient,
        procedure=appointment.procedure,
        kind=appointment.kind,
        request=appointment.request,
        room=appointment.room,
    )
    return pre.needs_blood_test


def reminder_text(appointment: Appointment) -> str:
    site = appointment.room.site
    local = appointment.start.astimezone(site_zone(site.time_zone))  # the site's local time
    login = settings.SITE_URL.rstrip("/") + reverse("login")
    lines = [
        _("Rappel : rendez-vous le %(date)s à %(time)s, %(place)s.")
        % {
            "date": formats.date_format(local, "l j F Y"),
            "time": local.strftime("%H:%M"),
            "place": f"{site.name}, {site.address.replace(chr(10), ', ')}",
        },
    ]
    if appointment.video:
        lines = [
            _("Rappel : téléconsultation le %(date)s à %(time)s.")
            % {"date": formats.date_format(local, "l j F Y"), "time": local.strftime("%H:%M")}
        ]
    if needs_blood_test(appointment):
        lines.append(_("Apportez le résultat de votre prise de sang."))
    lines.append(_("Détails et modifications : %(url)s") % {"url": login})
    return "\n".join(lines)


def _claim(appointment: Appointment, channel: str) -> bool:
    _, created = ReminderSent.objects.get_or_create(appointment=appointment, channel=channel)
    return created


def send_appointment_reminder(appointment_id: int) -> int:
    """Send what has not been sent yet; returns the number of messages sent now."""
    appointment = (
        Appointment.objects.select_related("patient", "room__site", "procedure", "request")
        .filter(pk=appointment_id, status=AppointmentStatus.BOOKED)
        .first()
    )
    if appointment is None:
        return 0
    patient = appointment.patient
    body = reminder_text(appointment)
    sent = 0
    # Claim and send in one transaction per channel: the claim's unique row makes a second
    # run send nothing; message_send records the delivery (sent or failed) either way.
    if patient.email:
        with transaction.atomic():
            if _claim(appointment, ReminderChannel.EMAIL):
                message_send(
                    patient_or_address=patient,
                    kind=MessageKind.REMINDER,
                    subject=_("Rappel de votre rendez-vous"),
                    body=body,
                    attachments=[
                        ("rendez-vous.ics", appointment_ics(appointment), "text/calendar")
                    ],
                    sms=False,
                )
                sent += 1
    if patient.phone:
        with transaction.atomic():
            if _claim(appointment, ReminderChannel.SMS):
                message_send(
                    patient_or_address=patient,
                    kind=MessageKind.REMINDER,
                    subject="",
                    body=body,
                    email=False,
                )
                sent += 1
    return sent
