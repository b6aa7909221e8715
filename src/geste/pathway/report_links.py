"""Secure links to a signed report for the referring physician (pathway.md step 10; issue 12,
point 10): the token is shown once and stored hashed; a link expires after
`CentreSettings.report_link_days`, opens at most REPORT_LINK_MAX_READS times, and staff may
revoke it. Every read and every refused attempt is in the audit trail, which the request page
lists under the link."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from geste.audit.models import AuditEvent
from geste.audit.services import log_action
from geste.clinic.models import CentreSettings
from geste.pathway.models import Report, ReportLink

# Enough for a physician to open the report on a phone, a desk and a colleague's screen,
# few enough that a forwarded link stops working soon (README: "Report links").
REPORT_LINK_MAX_READS = 10


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def report_link_create(*, report: Report, actor: Any) -> tuple[ReportLink, str]:
    """A secure link for the referring physician; the token is returned once, stored hashed."""
    token = secrets.token_urlsafe(32)
    days = CentreSettings.current().report_link_days
    with transaction.atomic():
        link = ReportLink.objects.create(
            report=report,
            token_hash=token_hash(token),
            expires_at=timezone.now() + timedelta(days=days),
            max_reads=REPORT_LINK_MAX_READS,
            created_by=actor,
        )
        log_action(
            actor=actor,
            action="report.link_created",
            obj=report.request,
            details={"link": link.pk, "max_reads": link.max_reads},
        )
    return link, token


def report_link_resolve(token: str, *, request: HttpRequest | None = None) -> ReportLink | None:
    """The link of `token` if it may still be read, counting this read; else None.

    The count is one conditional UPDATE (reads < max_reads, not revoked, not expired), so two
    readers racing for the last read cannot both get it. A known link refused (revoked, used
    up or expired) leaves an audit event: staff see the attempt on the request page.
    """
    link = (
        ReportLink.objects.select_related("report__request__patient", "report__signed_by")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if link is None:
        return None
    now = timezone.now()
    counted = ReportLink.objects.filter(
        pk=link.pk, revoked_at__isnull=True, expires_at__gt=now, reads__lt=F("max_reads")
    ).update(reads=F("reads") + 1)
    if not counted:
        reason = (
            "revoked"
            if link.revoked_at is not None
            else "expired"
            if link.expires_at <= now
            else "used_up"
        )
        log_action(
            actor=None,
            action="report.link_refused",
            obj=link.report.request,
            request=request,
            details={"link": link.pk, "reason": reason},
        )
        return None
    link.reads += 1
    return link


def report_link_revoke(*, link: ReportLink, actor: Any) -> ReportLink:
    """Staff end a link now (a wrong recipient, a forwarded e-mail). Idempotent."""
    with transaction.atomic():
        locked = ReportLink.objects.select_for_update().get(pk=link.pk)
        if locked.revoked_at is None:
            locked.revoked_at, locked.revoked_by = timezone.now(), actor
            locked.save(update_fields=["revoked_at", "revoked_by"])
            log_action(
                actor=actor,
                action="report.link_revoked",
                obj=locked.report.request,
                details={"link": locked.pk, "reads": locked.reads},
            )
    return locked


def report_link_accesses(link: ReportLink) -> QuerySet[AuditEvent]:
    """Every read and refused attempt of one link, oldest first (from the audit trail)."""
    return AuditEvent.objects.filter(
        action__in=("report.read_by_link", "report.link_refused"),
        details__link=link.pk,
    ).order_by("at", "pk")
