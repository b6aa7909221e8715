"""Follow-up alerts reach a person (issue 13, point 3): the duty roster, the page, its
acknowledgement and the escalation.

A worrying follow-up answer (services_after.followup_answer) pages the first radiologist on duty
by e-mail and SMS with a minimal text (no patient, procedure or symptom: a link to the dashboard,
where the alert is read after login). The radiologist acknowledges from the dashboard; a page not
acknowledged after ESCALATE_AFTER goes to the next radiologist on duty (`alerts_escalate`, run by
`geste manage pathway_tick`, idempotent). Every page and acknowledgement is audited.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from geste.audit.services import log_action
from geste.clinic.messages import message_send, site_link
from geste.clinic.models import Role
from geste.pathway.models import AlertPage, DutyShift, FollowUp

# A module constant, not a setting: settings.py belongs to another area; change it here.
ESCALATE_AFTER = timedelta(minutes=30)

# SentMessage.kind of a page (not one of the patients' MessageKind: it goes to staff).
PAGE_KIND = "alert_page"


def on_duty(at: datetime | None = None) -> list[Any]:
    """The radiologists on duty at `at` (default now), in paging order (shift `order`, then
    start). Fallback when no shift covers `at`: every active radiologist, ordered by username,
    so an alert always reaches someone."""
    at = at or timezone.now()
    shifts = (
        DutyShift.objects.filter(start__lte=at, end__gt=at, radiologist__is_active=True)
        .select_related("radiologist")
        .order_by("order", "start", "pk")
    )
    seen: list[Any] = []
    for shift in shifts:
        if shift.radiologist not in seen:
            seen.append(shift.radiologist)
    if seen:
        return seen
    user_model = get_user_model()
    return list(
        user_model.objects.filter(role=Role.RADIOLOGIST, is_active=True).order_by("username")
    )


def _duty_phone(radiologist: Any, at: datetime) -> str:
    shift = (
        DutyShift.objects.filter(radiologist=radiologist, start__lte=at, end__gt=at)
        .exclude(phone="")
        .order_by("order")
        .first()
    )
    return shift.phone if shift else ""


def _send_page(radiologist: Any, phone: str) -> None:
    """After commit: the minimal text, by e-mail and SMS (bare addresses, so no patient is
    attached to the SentMessage rows)."""
    link = site_link(reverse("staff:dashboard") + "#alerts-title")
    text = _("Une alerte de suivi attend votre avis : %(link)s") % {"link": link}
    subject = _("Une alerte de suivi attend votre avis")
    if radiologist.email:
        message_send(
            patient_or_address=radiologist.email,
            kind=PAGE_KIND,
            subject=subject,
            body=text,
            sms=False,
        )
    if phone:
        message_send(
            patient_or_address=phone, kind=PAGE_KIND, subject=subject, body=text, email=False
        )


def alert_page(*, followup: FollowUp, radiologist: Any, actor: Any, at: datetime) -> AlertPage:
    """Record a page of `followup` to `radiologist`, audited; the messages go after commit."""
    with transaction.atomic():
        page = AlertPage.objects.create(followup=followup, radiologist=radiologist, sent_at=at)
        log_action(
            actor=actor,
            action="followup.alert_paged",
            obj=followup.request,
            details={"radiologist": radiologist.pk, "page": page.pk},
        )
        phone = _duty_phone(radiologist, at)
        transaction.on_commit(lambda: _send_page(radiologist, phone))
    return page


def alert_raise(*, followup: FollowUp, actor: Any) -> AlertPage | None:
    """Page the first radiologist on duty for a new alert (None when there is no radiologist
    at all, or when the alert was already paged)."""
    if AlertPage.objects.filter(followup=followup).exists():
        return None
    now = timezone.now()
    duty = on_duty(now)
    if not duty:
        return None
    return alert_page(followup=followup, radiologist=duty[0], actor=actor, at=now)


def alert_acknowledge(*, followup: FollowUp, actor: Any) -> int:
    """The radiologist has seen the alert: every open page of it is acknowledged, which stops
    the escalation. Returns the number of pages acknowledged."""
    with transaction.atomic():
        now = timezone.now()
        count = AlertPage.objects.filter(followup=followup, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=actor
        )
        log_action(
            actor=actor,
            action="followup.alert_acknowledged",
            obj=followup.request,
            details={"pages": count},
        )
    return count


def alerts_escalate(now: datetime | None = None) -> int:
    """Page the next radiologist on duty for every alert whose last page is older than
    ESCALATE_AFTER and unacknowledged (and not cleared). Idempotent: a second run at the same
    time finds the fresh page and does nothing. Past the end of the list it starts again at
    the first. Returns the number of pages sent."""
    now = now or timezone.now()
    open_alerts = FollowUp.objects.filter(
        alert=True, alert_cleared_at__isnull=True, pages__isnull=False
    ).distinct()
    sent = 0
    for followup in open_alerts.select_related("request"):
        pages = list(followup.pages.all())
        if any(p.acknowledged_at is not None for p in pages):
            continue
        last = pages[-1]
        if now - last.sent_at < ESCALATE_AFTER:
            continue
        duty = on_duty(now)
        if not duty:
            continue
        ids = [r.pk for r in duty]
        nxt = (
            duty[(ids.index(last.radiologist_id) + 1) % len(duty)]
            if last.radiologist_id in ids
            else duty[0]
        )
        alert_page(followup=followup, radiologist=nxt, actor=None, at=now)
        sent += 1
    return sent
