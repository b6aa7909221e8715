"""Logins, logouts and failed logins go to the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from geste.audit.services import log_action


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    log_action(actor=user, action="auth.login", request=request)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        log_action(actor=user, action="auth.logout", request=request)


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    # The username tried is kept (it is needed to spot attacks); the password never is.
    log_action(
        actor=None,
        action="auth.login_failed",
        request=request,
        details={"username": str(credentials.get("username", ""))[:150]},
    )
