"""The follow-up messages (pathway.md step 10; issue 13, point 6): when the 48-72 h follow-up
questionnaire becomes due (`CentreSettings.followup_hours` after the procedure), and when the
one-month pain measure does (`CentreSettings.outcome_month_days` after), the patient gets one
e-mail and one SMS, sent and recorded by `clinic.messages.message_send` (the administrators'
page of sent messages lists them: kinds `followup_due` and `followup_month`).

Minimal content on purpose: a questionnaire awaits you, and a link. Never the procedure, the
date of the procedure or anything clinical (the message may be read by someone else). Links
are built from `settings.SITE_URL`.

One message per measure: `FollowUp.reminded_at` (`month_reminded_at`) is claimed by a
conditional update inside the transaction that sends, so a task run twice, or two workers at
once, send once. `message_send` never raises: a channel that fails is recorded as failed. When
every channel tried failed, the claim is released so that the next tick tries again, at most
MAX_TRIES times per measure (counted from the failures recorded since the measure fell due).
"""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.clinic.messages import message_send, site_link
from geste.clinic.models import MessageKind, MessageStatus, SentMessage
from geste.pathway.models import FollowUp, RequestState
from geste.pathway.services_after import MONTH_WINDOW

MAX_TRIES = 3
# The one-month measure is asked of requests followed up or still awaiting the 48-72 h answer.
_AFTER_REPORT = (RequestState.REPORTED, RequestState.FOLLOWED_UP)


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


def due_month_ids() -> list[int]:
    """One-month measures due now (within MONTH_WINDOW), not answered, never sent."""
    now = timezone.now()
    return list(
        FollowUp.objects.filter(
            month_due_at__lte=now,
            month_due_at__gt=now - MONTH_WINDOW,
            month_answered_at__isnull=True,
            month_reminded_at__isnull=True,
            request__state__in=_AFTER_REPORT,
        )
        .order_by("month_due_at")
        .values_list("pk", flat=True)
    )


def _login_link(next_path: str) -> str:
    return site_link(reverse("login") + "?" + urlencode({"next": next_path}))


def reminder_text() -> str:
    """The 48-72 h message: log in, the questionnaire is on the home page."""
    return "\n".join(
        [
            str(_("Bonjour, un questionnaire de suivi vous attend sur votre espace patient.")),
            str(_("Connectez-vous : %(url)s") % {"url": _login_link(reverse("portal:home"))}),
        ]
    )


def month_text(followup_id: int) -> str:
    """The one-month message: a short questionnaire awaits, and its link (after login)."""
    form = reverse("portal:followup_month", args=[followup_id])
    return "\n".join(
        [
            str(_("Bonjour, un court questionnaire vous attend sur votre espace patient.")),
            str(_("Pour y répondre : %(url)s") % {"url": _login_link(form)}),
        ]
    )


def _send(*, followup_id: int, kind: str, field: str, answered: str, due: str, action: str) -> int:
    """Claim `field` on one follow-up, send, audit; returns the number of messages sent."""
    now = timezone.now()
    with transaction.atomic():
        claimed = FollowUp.objects.filter(
            pk=followup_id,
            **{f"{field}__isnull": True, f"{answered}__isnull": True, f"{due}__lte": now},
            request__state__in=_AFTER_REPORT,
        ).update(**{field: now})
        if not claimed:
            return 0
        followup = FollowUp.objects.select_related("request__patient").get(pk=followup_id)
        patient = followup.request.patient
        if kind == MessageKind.FOLLOWUP_MONTH:
            subject, body = _("Un court questionnaire vous attend"), month_text(followup_id)
        else:
            subject, body = _("Un questionnaire vous attend"), reminder_text()
        sent = message_send(patient_or_address=patient, kind=kind, subject=subject, body=body)
        delivered = [m.channel for m in sent if m.status == MessageStatus.SENT]
        if sent and not delivered:
            # Every channel failed: the next tick tries again, MAX_TRIES times in all.
            failures = SentMessage.objects.filter(
                patient_id=patient.pk,
                kind=kind,
                status=MessageStatus.FAILED,
                sent_at__gte=getattr(followup, due),
            ).count()
            if failures < MAX_TRIES * len(sent):
                FollowUp.objects.filter(pk=followup_id).update(**{field: None})
        log_action(
            actor=None,
            action=action,
            obj=followup.request,
            patient=patient,
            details={"channels": delivered, **({"failed": True} if sent and not delivered else {})},
        )
    return len(delivered)


def send_followup_reminder(followup_id: int) -> int:
    """Send the 48-72 h reminder of one follow-up if nobody has; returns the messages sent."""
    return _send(
        followup_id=followup_id,
        kind=MessageKind.FOLLOWUP_DUE,
        field="reminded_at",
        answered="answered_at",
        due="due_at",
        action="followup.reminded",
    )


def send_month_reminder(followup_id: int) -> int:
    """Send the one-month message of one follow-up if nobody has; returns the messages sent."""
    return _send(
        followup_id=followup_id,
        kind=MessageKind.FOLLOWUP_MONTH,
        field="month_reminded_at",
        answered="month_answered_at",
        due="month_due_at",
        action="followup.month_reminded",
    )
