"""The follow-up reminder (pathway.md step 10): when the follow-up questionnaire becomes due
(`CentreSettings.followup_hours` after the procedure), the patient gets one e-mail and one SMS.

Minimal content on purpose: a questionnaire awaits you, log in. Never the procedure, the
date of the procedure or anything clinical (the message may be read by someone else).
One reminder per procedure: `FollowUp.reminded_at` is claimed by a conditional update inside
the transaction that sends, so a task run twice, or two workers at once, send once; a send
that fails rolls the claim back and the next tick tries again.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.clinic.sms import send_sms
from geste.pathway.models import FollowUp, RequestState


def due_followup_ids() -> list[int]:
    """Follow-ups due now, not answered, never reminded, of a request still awaiting it."""
    return list(
        FollowUp.objects.filter(
            due_at__lte=timezone.now(),
            answered_at__isnull=True,
            reminded_at__isnull=True,
            request__state=RequestState.REPORTED,
        )
        .order_by("due_at")
        .values_list("pk", flat=True)
    )


def reminder_text() -> str:
    login = reverse("login") + "?" + urlencode({"next": reverse("portal:home")})
    return "\n".join(
        [
            str(_("Bonjour, un questionnaire de suivi vous attend sur votre espace patient.")),
            str(_("Connectez-vous : %(url)s") % {"url": settings.SITE_URL.rstrip("/") + login}),
        ]
    )


def send_followup_reminder(followup_id: int) -> int:
    """Send the reminder of one follow-up if nobody has; returns the number of messages."""
    with transaction.atomic():
        claimed = FollowUp.objects.filter(
            pk=followup_id, reminded_at__isnull=True, answered_at__isnull=True
        ).update(reminded_at=timezone.now())
        if not claimed:
            return 0
        followup = FollowUp.objects.select_related("request__patient").get(pk=followup_id)
        patient = followup.request.patient
        body = reminder_text()
        channels = []
        if patient.email:
            EmailMessage(
                subject=_("Un questionnaire vous attend"), body=body, to=[patient.email]
            ).send()
            channels.append("email")
        if patient.phone:
            send_sms(patient.phone, body)
            channels.append("sms")
        log_action(
            actor=None,
            action="followup.reminded",
            obj=followup.request,
            patient=patient,
            details={"channels": channels},
        )
    return len(channels)
