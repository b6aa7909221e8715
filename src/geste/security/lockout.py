"""Login lockout with django-axes: per username *and* address pair, so one attacker cannot
lock the reception out by trying its usernames; the account stays open from other places.

AxesStandaloneBackend is the first authentication backend: a locked pair is refused there,
before the password backend runs, so a locked login costs no password hash (Argon2 is slow on
purpose; a flood of locked attempts must not exhaust the CPU).
"""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from geste.audit.actions import AuditAction
from geste.audit.services import log_action


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a French page with 429 and Retry-After."""
    minutes = settings.GESTE_LOCKOUT_MINUTES
    response = render(
        request, "geste/auth/locked_out.html", {"lockout_minutes": minutes}, status=429
    )
    response["Retry-After"] = str(minutes * 60)
    return response


@receiver(user_locked_out)
def _audit_lockout(
    sender: Any, request: HttpRequest, username: str | None, ip_address: str | None, **kw: Any
) -> None:
    log_action(
        actor=None,
        action=AuditAction.AUTH_LOCKED_OUT,
        request=request,
        details={"username": str(username or "")[:150]},
    )
