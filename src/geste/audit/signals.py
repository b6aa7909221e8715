"""Logins, logouts and failed logins go to the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from geste.audit.actions import AuditAction
from geste.audit.services import log_action


@receiver(user_logged_in)
def _logged_in(sender: Any, request: HttpRequest, user: AbstractBaseUser, **kwargs: Any) -> None:
    log_action(actor=user, action=AuditAction.AUTH_LOGIN, request=request)


@receiver(user_logged_out)
def _logged_out(
    sender: Any, request: HttpRequest, user: AbstractBaseUser | None, **kwargs: Any
) -> None:
    if user is not None:
        log_action(actor=user, action=AuditAction.AUTH_LOGOUT, request=request)


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kw: Any
) -> None:
    # The username tried is kept (it is needed to spot attacks); the password never is.
    log_action(
        actor=None,
        action=AuditAction.AUTH_LOGIN_FAILED,
        request=request,
        details={"username": str(credentials.get("username", ""))[:150]},
    )
